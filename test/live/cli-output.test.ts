/** Pure parts of the CLI's output: tables that fit the terminal, and streamed text and map progress in the live view. */
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../client/cli/table';
import { applyEvent, createRunView, renderRunView } from '../../client/live-view';
import type { RunEvent } from '../../shared/model/types';

const ev = (seq: number, type: string, nodeId: string | undefined, data: Record<string, unknown> = {}): RunEvent =>
  ({ runId: 'r', seq, type, ...(nodeId ? { nodeId } : {}), at: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(), data }) as RunEvent;

describe('formatTable', () => {
  it('cuts the widest column, never the key column, to fit the width', () => {
    // Act
    const text = formatTable(['ID', 'NAME'], [['run-0123456789', 'a very long name that does not fit at all']], 40);
    // Assess
    expect(text.split('\n')).toStrictEqual(['ID              NAME', '--------------  ------------------------', 'run-0123456789  a very long name that d…']);
  });

  it('leaves out the rightmost columns when cutting is not enough', () => {
    // Act
    const text = formatTable(['ID', 'A', 'B', 'C'], [['x'.repeat(30), 'aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc']], 45);
    // Assess
    expect(text.split('\n')[0]).toBe(`ID${' '.repeat(30)}A`);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(45);
  });

  it('says (none) for no rows', () => {
    expect(formatTable(['ID'], [])).toBe('(none)');
  });
});

describe('live view', () => {
  it('appends streamed text per attempt and shows map progress', () => {
    // Prepare
    const view = createRunView('r');
    // Act
    for (const e of [
      ev(1, 'run.started', undefined), ev(2, 'node.started', 'agent', { attempt: 0 }), ev(3, 'node.progress', 'agent', { text: 'Hello ' }),
      ev(4, 'node.progress', 'agent', { text: 'world' }), ev(5, 'node.started', 'review', { attempt: 0 }),
      ev(6, 'node.progress', 'review', { progress: { total: 30, succeeded: 11, failed: 1, running: 3 } }),
    ]) applyEvent(view, e);
    // Assess
    expect(view.nodes.get('agent')?.text).toBe('Hello world');
    const text = renderRunView(view, Date.parse('2025-01-01T00:00:10Z'));
    expect(text).toContain('items 12/30 (1 failed, 3 running)');
    expect(text).toContain('> Hello world');
    // A retry streams afresh.
    applyEvent(view, ev(7, 'node.started', 'agent', { attempt: 1 }));
    expect(view.nodes.get('agent')?.text).toBeUndefined();
  });
});

describe('live view of a map', () => {
  it('counts items from item events and leaves the node status to the map node\'s own events', () => {
    // Prepare
    const view = createRunView('r');
    const itemEvent = (seq: number, type: string, nodeId: string, item: number) => ({ ...ev(seq, type, nodeId), item }) as RunEvent;
    // Act
    for (const e of [
      ev(1, 'run.started', undefined), ev(2, 'node.started', 'review', { attempt: 0, total: 3 }),
      itemEvent(3, 'node.started', 'read', 0), itemEvent(4, 'node.succeeded', 'read', 0), itemEvent(5, 'item.succeeded', 'review', 0),
      itemEvent(6, 'node.failed', 'read', 1), itemEvent(7, 'item.failed', 'review', 1),
    ]) applyEvent(view, e);
    // Assess
    expect(view.nodes.get('review')).toMatchObject({ status: 'running', progress: { total: 3, succeeded: 1, failed: 1, running: 0 } });
    expect(view.nodes.has('read')).toBe(false);
    expect(renderRunView(view, Date.parse('2025-01-01T00:00:10Z'))).toContain('items 2/3 (1 failed)');
  });
});
