/**
 * Rendering a `map` node (ARCHITECTURE.md, "Map"): three states and the body.
 * - `<id>` (Task, `map-items`): evaluates `items`, stores each item in the store, returns their paths
 *   (`"0"`, `"1"`, …; `"3.0"` inside item 3 of an enclosing map) into `$.r.<id>.items`: data never rides in the payload.
 * - `<id>:map` (Map over those paths): each iteration gets `{ runId, item, r: {} }`; its states are the body, planned like
 *   a workflow, followed by `<id>:item-done` (records the item's output); a body failure is caught into
 *   `<id>:item-failed`, which records it and fails the iteration only when the map can no longer tolerate failures.
 * - `<id>:collect` (Task, `map-collect`): assembles `{ results, failed }` from the store and sets the node's route.
 * No Retry on the Map: retries belong to body nodes (a Retry on a Map reruns every item).
 */
import type { AslCatcher, AslState, Json } from './asl-types';
import type { PlannedNode } from './plan';
import { renderSequence, transition, type Scope } from './render';
import { LAMBDA_INVOKE, serviceRetrier } from './task-state';
import { mapCollectPayloadTemplate, mapItemPayloadTemplate, mapItemsPayloadTemplate } from '../contract/task-payload';
import { DEFAULT_TIMEOUT_SECONDS } from '../definition/schema';

/** The state names of a map node `id`. */
export function mapStateNames(id: string) {
  return { items: id, map: `${id}:map`, collect: `${id}:collect`, itemDone: `${id}:item-done`, itemFailed: `${id}:item-failed` };
}

/** Renders a map node's states (its `:route`/`:skip`/`:continued` states as for any node). */
export function renderMap(node: PlannedNode, next: string | undefined, scope: Scope): Record<string, AslState> {
  const map = node.map!;
  const names = mapStateNames(node.id);
  const states: Record<string, AslState> = {};
  const needsRoute = node.tracked && node.live !== 'always';
  if (needsRoute) {
    const tests = (node.live as Exclude<PlannedNode['live'], 'always'>).map((t) =>
      t.kind === 'route' ? { Variable: `$.r.${t.node}.k`, StringEquals: t.key } : { Not: { Variable: `$.r.${t.node}.k`, StringEquals: 'skip' } });
    states[`${node.id}:route`] = { Type: 'Choice', Choices: [{ ...(tests.length === 1 ? tests[0]! : { Or: tests }), Next: names.items }], Default: `${node.id}:skip` };
    states[`${node.id}:skip`] = { Type: 'Pass', Result: { k: 'skip' }, ResultPath: `$.r.${node.id}`, ...transition(next) };
  }
  const continued = node.onError === 'continue' ? (node.tracked || next === undefined ? `${node.id}:continued` : next) : undefined;
  const catchers: AslCatcher[] = continued !== undefined
    ? [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: continued }]
    : scope.failTo !== undefined ? [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: scope.failTo }] : [];
  const catchField = catchers.length > 0 ? { Catch: catchers } : {};
  const task = (payload: Record<string, Json>) => ({
    Type: 'Task' as const,
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: scope.executorArn, Payload: payload },
    TimeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
  });

  states[names.items] = {
    ...task(mapItemsPayloadTemplate(node.id, scope.inBody)),
    ResultSelector: { 'items.$': '$.Payload.items' },
    ResultPath: `$.r.${node.id}`,
    Retry: [serviceRetrier()],
    ...catchField,
    Next: names.map,
  };

  const bodyScope: Scope = { plan: map.body, executorArn: scope.executorArn, failTo: names.itemFailed, inBody: true };
  const body = renderSequence(map.body.steps, names.itemDone, [], bodyScope);
  const canFail = Object.values(body.states).some((s) => 'Catch' in s && s.Catch?.some((c) => c.Next === names.itemFailed));
  const itemTask = (withError: boolean) => ({
    ...task(mapItemPayloadTemplate(node.id, withError)),
    ResultPath: '$.done',
    // Each iteration's output is one short string, so the Map's result stays small at 10,000 items.
    OutputPath: '$.done.Payload.route',
    Retry: [serviceRetrier()],
    End: true as const,
  });
  states[names.map] = {
    Type: 'Map',
    ItemsPath: `$.r.${node.id}.items`,
    ItemSelector: { 'runId.$': '$.runId', 'item.$': '$$.Map.Item.Value', r: {} },
    ItemProcessor: {
      ProcessorConfig: map.mode === 'INLINE' ? { Mode: 'INLINE' } : { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
      StartAt: body.startAt,
      States: {
        ...body.states,
        [names.itemDone]: itemTask(false),
        ...(canFail ? { [names.itemFailed]: itemTask(true) } : {}),
      },
    },
    MaxConcurrency: map.maxConcurrency,
    ...(map.mode === 'DISTRIBUTED' ? { Label: node.id } : {}),
    ResultPath: null,
    ...catchField,
    Next: names.collect,
  };
  states[names.collect] = {
    ...task(mapCollectPayloadTemplate(node.id, scope.inBody)),
    ResultSelector: { 'k.$': '$.Payload.route' },
    ResultPath: `$.r.${node.id}`,
    Retry: [serviceRetrier()],
    ...catchField,
    ...transition(next),
  };
  if (continued === `${node.id}:continued`) {
    states[continued] = node.tracked
      ? { Type: 'Pass', Result: { k: 'error' }, ResultPath: `$.r.${node.id}`, ...transition(next) }
      : { Type: 'Pass', ...transition(next) };
  }
  return states;
}
