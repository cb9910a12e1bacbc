/**
 * Where the event log keeps the binding of a transition key to its seq (ARCHITECTURE.md, "Event log"): the
 * one decision point of exactly-once, a conditional write that the first binding wins.
 *
 * A node attempt's start and a node's success (`node.started:<node>:<attempt>`, `node.succeeded:<node>`, `<node>`
 * with its `@<item>` inside a map) are bound on ONE item per node, `TN#<node>`, one attribute per key, so a node
 * whose start and success are appended together binds both in one conditional update (issue 18). Every other key
 * has its own item, `TK#<key>` with `seq`. Bindings a previous version wrote per key (`TK#node.started:…`) are
 * still read, never written.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchRead, itemKeyOf, type ItemKey } from './batch-read';
import { keys, type TableRef } from './table';

/** Where one key's binding lives: an item and the attribute holding the seq. */
interface BindingSlot {
  key: ItemKey;
  attribute: string;
  /** A grouped key's per-key item of the previous version, read only. */
  legacy?: ItemKey;
}

/** Sort-key prefix of a node's grouped bindings. */
export const NODE_BINDINGS_SK_PREFIX = 'TN#';

/** The node key (`<node>` or `<node>@<item>`) of a key bound on its node's item, else `undefined`. */
export function groupedNodeKey(transitionKey: string): string | undefined {
  if (transitionKey.startsWith('node.succeeded:')) return transitionKey.slice('node.succeeded:'.length);
  if (transitionKey.startsWith('node.started:')) {
    const rest = transitionKey.slice('node.started:'.length);
    const last = rest.lastIndexOf(':');
    return last > 0 ? rest.slice(0, last) : undefined;
  }
  return undefined;
}

function slotOf(runId: string, transitionKey: string): BindingSlot {
  const node = groupedNodeKey(transitionKey);
  if (node === undefined) return { key: keys.transition(runId, transitionKey), attribute: 'seq' };
  return { key: { PK: keys.eventLog(runId).PK, SK: `${NODE_BINDINGS_SK_PREFIX}${node}` }, attribute: transitionKey, legacy: keys.transition(runId, transitionKey) };
}

/** Reads and writes bindings; `guard` translates store errors (a lost condition stays the SDK error). */
export function createBindings(table: TableRef, guard: <T>(call: Promise<T>) => Promise<T>) {
  const { client, tableName } = table;

  /** The seq `transitionKey` is bound to; `undefined` while unbound. One consistent read. */
  async function boundSeq(runId: string, transitionKey: string): Promise<number | undefined> {
    const slot = slotOf(runId, transitionKey);
    if (!slot.legacy) {
      const out = await guard(client.send(new GetCommand({ TableName: tableName, Key: slot.key, ConsistentRead: true })));
      return out.Item?.seq === undefined ? undefined : Number(out.Item.seq);
    }
    return (await boundSeqs(runId, [transitionKey]))[0];
  }

  /** The seqs several keys are bound to, in order (`undefined` while unbound): one consistent `BatchGetItem`. */
  async function boundSeqs(runId: string, transitionKeys: readonly string[]): Promise<Array<number | undefined>> {
    const slots = transitionKeys.map((k) => slotOf(runId, k));
    // `batchRead` reads a key once however often it is asked: a node's keys share their item.
    const found = await guard(batchRead(table, slots.flatMap((s) => (s.legacy ? [s.key, s.legacy] : [s.key]))));
    return slots.map((s) => {
      const value = found.get(itemKeyOf(s.key))?.[s.attribute] ?? (s.legacy ? found.get(itemKeyOf(s.legacy))?.seq : undefined);
      return value === undefined ? undefined : Number(value);
    });
  }

  /** Binds the key to `seq` unless it is bound to another seq already (the first binding wins); true when bound to `seq`. */
  async function bind(runId: string, transitionKey: string, seq: number): Promise<boolean> {
    const slot = slotOf(runId, transitionKey);
    try {
      if (slot.legacy) {
        await guard(client.send(new UpdateCommand({
          TableName: tableName, Key: slot.key, UpdateExpression: 'SET #k = :seq',
          ConditionExpression: 'attribute_not_exists(#k) OR #k = :seq',
          ExpressionAttributeNames: { '#k': slot.attribute }, ExpressionAttributeValues: { ':seq': seq },
        })));
      } else {
        await guard(client.send(new PutCommand({
          TableName: tableName, Item: { ...slot.key, seq },
          ConditionExpression: 'attribute_not_exists(PK) OR seq = :seq', ExpressionAttributeValues: { ':seq': seq },
        })));
      }
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return false;
    }
  }

  /**
   * Binds every `(key, seq)`, the first binding of each key winning: keys on the same node item in ONE conditional
   * update (all or none), the rest one write each, all at once. Returns the keys bound to their seq. When a node's
   * update loses (one of its keys was bound elsewhere), its keys are bound one by one to learn which.
   */
  async function bindAll(runId: string, entries: ReadonlyArray<{ transitionKey: string; seq: number }>): Promise<Set<string>> {
    const groups = new Map<string, Array<{ transitionKey: string; seq: number; slot: BindingSlot }>>();
    const single: Array<{ transitionKey: string; seq: number }> = [];
    for (const entry of entries) {
      const slot = slotOf(runId, entry.transitionKey);
      if (!slot.legacy) {
        single.push(entry);
        continue;
      }
      const id = itemKeyOf(slot.key);
      groups.set(id, [...(groups.get(id) ?? []), { ...entry, slot }]);
    }
    const bound = new Set<string>();
    const one = async (e: { transitionKey: string; seq: number }) => {
      if (await bind(runId, e.transitionKey, e.seq)) bound.add(e.transitionKey);
    };
    await Promise.all([
      ...single.map(one),
      ...[...groups.values()].map(async (group) => {
        if (group.length === 1) return one(group[0]!);
        const names: Record<string, string> = {};
        const values: Record<string, number> = {};
        const sets: string[] = [];
        const conditions: string[] = [];
        group.forEach((e, i) => {
          names[`#k${i}`] = e.slot.attribute;
          values[`:s${i}`] = e.seq;
          sets.push(`#k${i} = :s${i}`);
          conditions.push(`(attribute_not_exists(#k${i}) OR #k${i} = :s${i})`);
        });
        try {
          await guard(client.send(new UpdateCommand({
            TableName: tableName, Key: group[0]!.slot.key, UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: conditions.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
          })));
          for (const e of group) bound.add(e.transitionKey);
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          for (const e of group) await one(e);
        }
      }),
    ]);
    return bound;
  }

  return { boundSeq, boundSeqs, bind, bindAll };
}
