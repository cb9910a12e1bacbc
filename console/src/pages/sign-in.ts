/**
 * Sign-in: on the local stack, pick a user (the stack mints the token); in AWS, the Cognito hosted UI with
 * PKCE; with an external issuer, paste a token.
 */
import type { ConsoleConfig } from '../config';
import { h } from '../dom';
import { saveToken, signInLocal, startHostedSignIn, type Session } from '../session';

/** The sign-in page; `done` gets the session. */
export function signInPage(config: ConsoleConfig, done: (session: Session) => void, message?: string): HTMLElement {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: !message }, message ?? '');
  const fail = (e: unknown) => {
    error.textContent = (e as Error).message;
    error.hidden = false;
  };
  const body: HTMLElement[] = [];
  if (config.auth.mode === 'local') {
    const user = h('input', { name: 'user', value: 'alice', autocomplete: 'username', 'aria-label': 'user id', required: true });
    const form = h('form', { class: 'stack' },
      h('label', null, 'Sign in as', user),
      h('p', { class: 'muted small' }, 'Local stack: any user id works; the stack signs a token for it. Try alice, then bob in another window to share or approve.'),
      h('button', { class: 'primary', type: 'submit' }, 'Sign in'),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      signInLocal(user.value.trim()).then(done, fail);
    });
    body.push(form);
  } else if (config.auth.mode === 'cognito') {
    const auth = config.auth;
    body.push(h('button', { class: 'primary', onclick: () => void startHostedSignIn(auth).catch(fail) }, 'Sign in with your account'));
  }
  const token = h('textarea', { rows: 3, class: 'mono', placeholder: 'eyJ…', 'aria-label': 'token' });
  const paste = h('form', { class: 'stack' }, h('label', null, 'Or paste a token', token), h('button', { type: 'submit' }, 'Use token'));
  paste.addEventListener('submit', (event) => {
    event.preventDefault();
    try {
      done(saveToken(token.value));
    } catch (e) {
      fail(e);
    }
  });
  body.push(config.auth.mode === 'token' ? paste : h('details', { class: 'paste' }, h('summary', null, 'Use a token instead'), paste));
  return h('main', { class: 'sign-in' }, h('section', { class: 'card' }, h('h1', null, h('span', { class: 'logo' }), 'Braid'), h('p', { class: 'muted' }, 'Workflows of agents, tools and people.'), error, body));
}
