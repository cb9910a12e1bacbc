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
});
