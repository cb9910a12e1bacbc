/**
 * A waiting gate: its prompt and inputs, a comment, optional JSON data, and Approve / Reject. Decisions go
 * to the gate route; the API's answer (e.g. 403 not an approver, 409 already decided) is shown as is.
 */
import type { GateView } from '../../../client/http-client';
import type { App } from '../app';
import { errorText } from '../app';
import { h } from '../dom';
import { jsonBlock } from './json-block';

/** The gate form for node `nodeId` of `runId`. */
export function gateForm(app: App, runId: string, nodeId: string, gate: GateView | undefined, onDecided?: (decision: 'approve' | 'reject') => void): HTMLElement {
  const comment = h('textarea', { class: 'comment', rows: 2, placeholder: 'Comment (optional)', 'aria-label': 'comment' });
  const data = h('textarea', { class: 'data mono', rows: 2, placeholder: 'Data as JSON (optional), e.g. {"limit": 200}', 'aria-label': 'data' });
  const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const buttons: HTMLButtonElement[] = [];
  const decide = async (decision: 'approve' | 'reject') => {
    message.hidden = true;
    let parsed: unknown;
    if (data.value.trim()) {
      try {
        parsed = JSON.parse(data.value);
      } catch (error) {
        message.textContent = `Data is not JSON: ${(error as Error).message}`;
        message.hidden = false;
        return;
      }
    }
    for (const b of buttons) b.disabled = true;
    try {
      // A gate inside a map item (from the inbox) is decided with its item path.
      const item = typeof gate?.itemPath === 'string' ? gate.itemPath : undefined;
      await app.http.decideGate(runId, nodeId, decision, { ...(comment.value.trim() ? { comment: comment.value.trim() } : {}), ...(parsed !== undefined ? { data: parsed } : {}) }, item);
      onDecided?.(decision);
    } catch (error) {
      message.textContent = errorText(error);
      message.hidden = false;
      for (const b of buttons) b.disabled = false;
    }
  };
  buttons.push(
    h('button', { class: 'approve', onclick: () => void decide('approve') }, 'Approve'),
    h('button', { class: 'reject danger', onclick: () => void decide('reject') }, 'Reject'),
  );
  return h('div', { class: 'gate-form' },
    h('p', { class: 'prompt' }, gate?.prompt ?? 'This gate is waiting for a decision.'),
    gate?.timeoutAt ? h('p', { class: 'muted small' }, `Times out ${new Date(gate.timeoutAt).toLocaleString()}`) : undefined,
    jsonBlock('Gate inputs', gate?.inputs),
    comment, data, message,
    h('div', { class: 'row' }, buttons),
  );
}
