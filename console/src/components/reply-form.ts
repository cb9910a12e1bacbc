/** An agent waiting for input: its question and a reply box (`POST …/nodes/{nodeId}/reply`). */
import type { App } from '../app';
import { errorText } from '../app';
import { h, pretty } from '../dom';
import type { QuestionView } from '../../../client/http-client';

/**
 * The reply form for node `nodeId` of `runId` (`item`: the item path of an agent inside a map item, sent as
 * `?item=`); `onReplied` runs after the API took the reply.
 */
export function replyForm(app: App, runId: string, nodeId: string, question: Pick<QuestionView, 'text' | 'data'> | undefined, options: { item?: string; onReplied?: () => void } = {}): HTMLElement {
  const text = h('textarea', { rows: 2, placeholder: 'Your answer', 'aria-label': 'reply' });
  const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const send = h('button', {
    onclick: async () => {
      message.hidden = true;
      send.disabled = true;
      try {
        await app.http.replyToNode(runId, nodeId, { text: text.value }, options.item);
        text.value = '';
        options.onReplied?.();
      } catch (error) {
        message.textContent = errorText(error);
        message.hidden = false;
      } finally {
        send.disabled = false;
      }
    },
  }, 'Send reply');
  const asked = question?.text ? question.text : 'The agent is waiting for input.';
  const data = question?.data !== undefined && question.data !== null ? h('pre', { class: 'small' }, pretty(question.data)) : undefined;
  return h('div', { class: 'reply-form' }, h('p', { class: 'prompt' }, asked), data, text, message, h('div', { class: 'row' }, send));
}
