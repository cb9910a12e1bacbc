/** The console's entry: load `config.json`, sign in, then route between pages. */
import './styles.css';
import { createApp, type App } from './app';
import { loadConfig, type ConsoleConfig } from './config';
import { h, replace } from './dom';
import { inboxPage } from './pages/inbox';
import { runPage } from './pages/run';
import { signInPage } from './pages/sign-in';
import { workflowPage } from './pages/workflow';
import { workflowsPage } from './pages/workflows';
import { href, parseRoute, type Page } from './router';
import { currentSession, finishHostedSignIn, signOut, type Session } from './session';

const root = document.getElementById('app')!;

function shell(app: App, content: HTMLElement): HTMLElement {
  const route = parseRoute(window.location.hash);
  const link = (to: string, label: string, active: boolean) => h('a', { href: to, class: active ? 'active' : '' }, label);
  return h('div', { class: 'shell' },
    h('header', { class: 'top' },
      h('a', { href: href.workflows(), class: 'brand' }, h('span', { class: 'logo' }), 'Braid'),
      h('nav', { class: 'main-nav' },
        link(href.workflows(), 'Workflows', route.name === 'workflows' || route.name === 'workflow'),
        link(href.inbox(), 'Inbox', route.name === 'inbox'),
      ),
      h('div', { class: 'who' }, h('span', { class: 'user', 'data-user': app.session.userId }, app.session.userId),
        h('button', { class: 'link', onclick: () => { signOut(); window.location.reload(); } }, 'Sign out')),
    ),
    content,
  );
}

function start(config: ConsoleConfig, session: Session): void {
  let page: Page | undefined;
  const app = createApp(config, session, () => {
    signOut();
    page?.dispose?.();
    // A fresh start with the new session (the old app's connection and pages are gone).
    replace(root, signInPage(config, () => window.location.reload(), 'Your session has expired: sign in again.'));
  });
  const show = () => {
    page?.dispose?.();
    const route = parseRoute(window.location.hash);
    page = route.name === 'workflow' ? workflowPage(app, route.id, route.version)
      : route.name === 'run' ? runPage(app, route.runId)
        : route.name === 'inbox' ? inboxPage(app)
          : workflowsPage(app, route.tab);
    replace(root, shell(app, page.el));
    window.scrollTo(0, 0);
  };
  window.addEventListener('hashchange', show);
  show();
}

async function boot(): Promise<void> {
  let config: ConsoleConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    replace(root, h('main', { class: 'sign-in' }, h('section', { class: 'card' }, h('h1', null, 'Braid'), h('p', { class: 'form-error' }, `Cannot load the console's configuration: ${(error as Error).message}`))));
    return;
  }
  let message: string | undefined;
  let session = currentSession();
  try {
    session = (await finishHostedSignIn(config.auth)) ?? session;
  } catch (error) {
    message = (error as Error).message;
  }
  if (session) return start(config, session);
  replace(root, signInPage(config, (s) => start(config, s), message));
}

void boot();
