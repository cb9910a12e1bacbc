import { describe, expect, it } from 'vitest';
import { applyEvent, createRunView, renderRunView } from '../../client/live-view';
import type { RunEvent } from '../../shared/model/types';

const at = '2026-12-01T10:00:00.000Z';
let seq = 0;
const ev = (type: RunEvent['type'], fields: Partial<RunEvent> = {}): RunEvent => ({ runId: 'r', seq: ++seq, type, at, data: {}, ...fields });

describe('live view of a map', () => {
  it('shows a map as "items done/total" from its item events, and keeps body nodes off the node list', () => {
    // Prepare
    const view = createRunView('r');
    // Act
    applyEvent(view, ev('run.started'));
    applyEvent(view, ev('node.started', { nodeId: 'review', data: { attempt: 0, total: 30 } }));
    for (let i = 0; i < 12; i++) {
      applyEvent(view, ev('node.started', { nodeId: 'score', item: i, data: { attempt: 0 } }));
      applyEvent(view, ev(i === 3 ? 'item.failed' : 'item.succeeded', { nodeId: 'review', item: i }));
    }
    applyEvent(view, ev('item.succeeded', { nodeId: 'review', item: 0, itemPath: '4.0' }));
    // Assess
    expect([...view.nodes.keys()]).toEqual(['review']);
    expect(renderRunView(view, Date.parse(at)).split('\n')[2]).toBe('  review  running    attempts 1  0.0s  items 12/30 (1 failed)');
  });

  it('seeds the count from the nodes route\'s progress', () => {
    const view = createRunView('r', [{ nodeId: 'review', status: 'running', attempts: [], progress: { total: 30, succeeded: 11, failed: 1, running: 10 } }]);
    expect(renderRunView(view).split('\n')[2]).toBe('  review  running    attempts 0    items 12/30 (1 failed, 10 running)');
  });
});
