/** The CLI's `--watch` view: streamed agent text shows under its node; a redrive reopens the run. */
import { describe, expect, it } from 'vitest';
import { applyEvent, createRunView, renderRunView } from '../../client/live-view';
import type { RunEvent } from '../../shared/model/types';

const at = '2026-12-01T10:00:00.000Z';
const event = (seq: number, type: RunEvent['type'], nodeId?: string, data: Record<string, unknown> = {}): RunEvent =>
  ({ runId: 'r', seq, type, at, ...(nodeId ? { nodeId } : {}), data }) as RunEvent;

describe('live view', () => {
  it('prints streamed text under the node and starts it again on a new attempt', () => {
    // Prepare
    const view = createRunView('r');

    // Act
    [event(1, 'run.started'), event(2, 'node.started', 'pick', { attempt: 0 }), event(3, 'node.progress', 'pick', { attempt: 0, text: 'Fjord Inn at ' }),
      event(4, 'node.progress', 'pick', { attempt: 0, text: '$120/night' })].forEach((e) => applyEvent(view, e));
    const during = renderRunView(view, Date.parse(at));
    applyEvent(view, event(5, 'node.started', 'pick', { attempt: 1 }));

    // Assess
    expect(during.split('\n').at(-1)).toMatch(/^\s+> Fjord Inn at \$120\/night$/);
    expect(renderRunView(view, Date.parse(at))).not.toContain('Fjord');
  });

  it('puts a redriven run back to running', () => {
    // Prepare
    const view = createRunView('r');

    // Act
    [event(1, 'run.started'), event(2, 'run.failed'), event(3, 'run.redriven', undefined, { by: 'alice' })].forEach((e) => applyEvent(view, e));

    // Assess
    expect(view.status).toBe('running');
    expect(view.endedAt).toBeUndefined();
  });

  it('prints an agent question under the node while it waits, and the attempt count of the current turn', () => {
    // Prepare
    const view = createRunView('r');

    // Act
    [event(1, 'run.started'), event(2, 'node.started', 'pick', { attempt: 0 }), event(3, 'node.progress', 'pick', { attempt: 0, text: 'Let me see' }),
      event(4, 'node.input_required', 'pick', { attempt: 0, turn: 0, question: { text: 'What is your\nbudget?', data: null } })].forEach((e) => applyEvent(view, e));
    const waiting = renderRunView(view, Date.parse(at));
    [event(5, 'node.replied', 'pick', { turn: 0, by: 'alice', text: '200' }), event(6, 'node.started', 'pick', { attempt: 10_000_000, turn: 1 })].forEach((e) => applyEvent(view, e));
    const after = renderRunView(view, Date.parse(at));

    // Assess
    expect(waiting).toMatch(/pick +waiting/);
    expect(waiting.split('\n').at(-1)).toMatch(/^\s+\? What is your budget\?  \(braid reply r pick <text>\)$/);
    expect(after).not.toContain('budget');
    expect(after).toMatch(/pick +running +attempts 1 /);
  });
});
