/**
 * The definition validator: one pass that reports *every* problem of a workflow definition, each
 * with a stable code and a JSON pointer, plus warnings and the execution levels. It never throws:
 * graph and binding rules run on whatever part of the input is well-formed enough, so a schema
 * error does not hide a cycle.
 */
import type { FieldIssue as ValidationIssue } from '../errors';
import { LIMITS, WorkflowDefinitionSchema, type WorkflowDefinition } from './schema';
import { CONTEXT_VARIABLE, findBindings, parseExpression } from './bindings';
import { ancestors, buildGraph, descendants, findCycles, kahnLevels, reachableFrom, roots, type Graph } from './graph';
import { checkExecutionTimeouts } from './execution-limits';
import { fromZodIssues, issue, pointer, type IssueCode } from './issues';
import { gatePolicyIssues } from './gate-policy-rules';
import { checkSecurity } from './security-checks';

/** The outcome of validating a definition. */
export interface ValidationResult {
  /** True when there are no errors (warnings allowed). */
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  /** Kahn levels of all nodes (ids sorted within a level); empty when the definition is invalid. */
  levels: string[][];
  /** The parsed definition, when valid. */
  definition?: WorkflowDefinition;
}

interface LooseNode {
  index: number;
  id: string;
  type: unknown;
  raw: Record<string, unknown>;
}

interface LooseEdge {
  index: number;
  from: string;
  to: string;
  hasWhen: boolean;
  when: unknown;
  isDefault: boolean;
}

/** Validates a workflow definition (any JSON value) and returns all its problems. Never throws. */
export function validateDefinition(input: unknown): ValidationResult {
  try {
    return validate(input);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { valid: false, errors: [issue('invalid_value', [], `definition could not be validated: ${message}`)], warnings: [], levels: [] };
  }
}

function validate(input: unknown): ValidationResult {
  const errors: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  let json: string | undefined;
  try {
    json = JSON.stringify(input);
  } catch {
    json = undefined;
  }
  if (json === undefined) {
    return { valid: false, errors: [issue('not_json', [], 'definition is not a JSON value')], warnings, levels: [] };
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > LIMITS.maxDefinitionBytes) {
    errors.push(issue('definition_too_large', [], `definition is ${bytes} bytes; the limit is ${LIMITS.maxDefinitionBytes}`));
  }
  const parsed = WorkflowDefinitionSchema.safeParse(input);
  if (!parsed.success) errors.push(...fromZodIssues(parsed.error.issues));

  const scopes = collectScopes(input, errors);
  const ids = new Set<string>();
  const typeOf = new Map<string, unknown>();
  for (const scope of scopes) {
    for (const n of scope.nodes) {
      if (!typeOf.has(n.id)) typeOf.set(n.id, n.type);
      ids.add(n.id);
    }
  }
  const total = scopes.reduce((sum, scope) => sum + scope.nodes.length, 0);
  if (total > LIMITS.maxNodes && scopes.length > 1) {
    errors.push(issue('too_many_nodes', ['nodes'], `the workflow has ${total} nodes counting map bodies; the limit is ${LIMITS.maxNodes}`));
  }
  // Scopes come parents first, so a body sees what is upstream of its map in every enclosing scope.
  const visibleIn = new Map<string, Set<string>>();
  let topGraph: Graph | undefined;
  for (const scope of scopes) {
    const graph = checkGraph(scope.nodes, scope.edges, errors, scope.prefix);
    topGraph ??= graph;
    checkGates(scope.nodes, errors, scope.prefix);
    const outer = scope.mapId === undefined ? new Set<string>() : (visibleIn.get(scope.mapId) ?? new Set<string>());
    checkBindings(scope, graph, { ids, typeOf, outer }, errors, warnings);
    // Security rules per scope; their pointers start at the scope's own `nodes`.
    const at = pointer(scope.prefix);
    const scopeErrors: ValidationIssue[] = [];
    const scopeWarnings: ValidationIssue[] = [];
    checkSecurity(scope.nodes, scopeErrors, scopeWarnings);
    // A map's own timeoutSeconds bounds its items, not an executor call: only executor nodes are checked.
    scopeErrors.push(...checkExecutionTimeouts(
      scope.nodes.filter((n) => n.type !== 'map').map((n) => ({ index: n.index, id: n.id, type: n.type, timeoutSeconds: n.raw.timeoutSeconds })),
      scope.depth === 0 ? (input as { defaults?: { timeoutSeconds?: unknown } } | null)?.defaults?.timeoutSeconds : undefined,
    ));
    errors.push(...scopeErrors.map((e) => ({ ...e, path: at + e.path })));
    warnings.push(...scopeWarnings.map((w) => ({ ...w, path: at + w.path })));
    for (const n of scope.nodes) {
      if (n.type === 'map') visibleIn.set(n.id, new Set([...outer, ...ancestors(graph, n.id)]));
    }
  }

  const valid = errors.length === 0 && parsed.success;
  return {
    valid,
    errors,
    warnings,
    levels: valid && topGraph ? kahnLevels(topGraph) : [],
    ...(valid && parsed.success ? { definition: parsed.data } : {}),
  };
}

/** One DAG of a definition: the top level (depth 0) or the body of a `map` node (depth = its nesting). */
interface LooseScope {
  /** Pointer segments of the object holding `nodes` and `edges` (`[]` at the top). */
  prefix: PropertyKey[];
  /** The map whose body this is; undefined at the top level. */
  mapId?: string;
  depth: number;
  nodes: LooseNode[];
  edges: LooseEdge[];
}

/**
 * Every scope of a definition, parents before their bodies, with node ids checked for uniqueness across the whole
 * definition (compiled state names share one namespace) and map nesting checked against `LIMITS.maxMapDepth`.
 */
function collectScopes(input: unknown, errors: ValidationIssue[]): LooseScope[] {
  const scopes: LooseScope[] = [];
  const firstAt = new Map<string, string>();
  const visit = (holder: unknown, prefix: PropertyKey[], depth: number, mapId: string | undefined): void => {
    const scope: LooseScope = { prefix, depth, nodes: [], edges: looseEdges(holder), ...(mapId !== undefined ? { mapId } : {}) };
    scopes.push(scope);
    for (const n of looseNodes(holder)) {
      const at = pointer([...prefix, 'nodes', n.index]);
      const first = firstAt.get(n.id);
      if (first !== undefined) {
        errors.push(issue('duplicate_id', [...prefix, 'nodes', n.index, 'id'], `node id "${n.id}" is already used by ${first}`));
        continue;
      }
      firstAt.set(n.id, at);
      scope.nodes.push(n);
    }
    for (const n of scope.nodes) {
      if (n.type !== 'map') continue;
      const body = n.raw.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) continue;
      if (depth + 1 > LIMITS.maxMapDepth) {
        errors.push(issue('map_too_deep', [...prefix, 'nodes', n.index, 'body'], `maps nest at most ${LIMITS.maxMapDepth} deep`));
        continue;
      }
      visit(body, [...prefix, 'nodes', n.index, 'body'], depth + 1, n.id);
    }
  };
  visit(input, [], 0, undefined);
  return scopes;
}

function looseNodes(input: unknown): LooseNode[] {
  const list = (input as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(list)) return [];
  const out: LooseNode[] = [];
  list.forEach((raw: unknown, index) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return;
    const r = raw as Record<string, unknown>;
    if (typeof r.id === 'string') out.push({ index, id: r.id, type: r.type, raw: r });
  });
  return out;
}

function looseEdges(input: unknown): LooseEdge[] {
  const list = (input as { edges?: unknown } | null)?.edges;
  if (!Array.isArray(list)) return [];
  const out: LooseEdge[] = [];
  list.forEach((raw: unknown, index) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return;
    const r = raw as Record<string, unknown>;
    if (typeof r.from !== 'string' || typeof r.to !== 'string') return;
    out.push({ index, from: r.from, to: r.to, hasWhen: 'when' in r && r.when !== undefined, when: r.when, isDefault: r.default !== undefined });
  });
  return out;
}

/** Edges, conditions and graph shape of one scope; returns its graph (self-loops and unknown endpoints left out). */
function checkGraph(nodes: LooseNode[], edges: LooseEdge[], errors: ValidationIssue[], prefix: PropertyKey[]): Graph {
  const firstIndex = new Map<string, number>();
  const typeOf = new Map<string, unknown>();
  for (const n of nodes) {
    firstIndex.set(n.id, n.index);
    typeOf.set(n.id, n.type);
  }

  const seenEdges = new Set<string>();
  const defaults = new Set<string>();
  const graphEdges: Array<{ from: string; to: string }> = [];
  for (const e of edges) {
    const at = [...prefix, 'edges', e.index];
    let known = true;
    for (const end of ['from', 'to'] as const) {
      if (!firstIndex.has(e[end])) {
        errors.push(issue('unknown_node', [...at, end], `edge ${end} "${e[end]}" is not a node id${prefix.length > 0 ? ' of this body' : ''}`));
        known = false;
      }
    }
    if (e.from === e.to) errors.push(issue('self_loop', at, `edge from "${e.from}" to itself`));
    const key = JSON.stringify([e.from, e.to, e.hasWhen ? e.when : null, e.hasWhen, e.isDefault]);
    if (seenEdges.has(key)) errors.push(issue('duplicate_edge', at, `edge ${e.from} -> ${e.to} appears twice`));
    seenEdges.add(key);
    checkEdgeRoute(e, typeOf.get(e.from), defaults, errors, prefix);
    if (known && e.from !== e.to) graphEdges.push(e);
  }

  const graph = buildGraph(firstIndex.keys(), graphEdges);
  for (const cycle of findCycles(graph)) {
    const first = cycle[0] as string;
    const message = `cycle: ${[...cycle, first].join(' -> ')}`;
    errors.push(issue('cycle', [...prefix, 'nodes', firstIndex.get(first) ?? 0], message));
  }
  const reached = reachableFrom(graph, roots(graph));
  for (const id of graph.nodes) {
    if (!reached.has(id)) {
      errors.push(issue('unreachable', [...prefix, 'nodes', firstIndex.get(id) ?? 0], `node "${id}" cannot be reached from a root node`));
    }
  }
  return graph;
}

function checkEdgeRoute(e: LooseEdge, sourceType: unknown, defaults: Set<string>, errors: ValidationIssue[], prefix: PropertyKey[]): void {
  const at = [...prefix, 'edges', e.index];
  if (sourceType === 'condition') {
    if (!e.hasWhen && !e.isDefault) errors.push(issue('missing_when', at, `edge out of condition "${e.from}" needs "when" or "default": true`));
    if (e.hasWhen && e.isDefault) errors.push(issue('when_and_default', at, 'an edge carries "when" or "default", not both'));
    if (e.isDefault) {
      if (defaults.has(e.from)) errors.push(issue('duplicate_default', [...at, 'default'], `condition "${e.from}" has more than one default edge`));
      defaults.add(e.from);
    }
    return;
  }
  if (sourceType === undefined) return;
  if (e.hasWhen) errors.push(issue('unexpected_when', [...at, 'when'], `"when" is only allowed on edges out of a condition`));
  if (e.isDefault) errors.push(issue('unexpected_default', [...at, 'default'], `"default" is only allowed on edges out of a condition`));
}

function checkGates(nodes: LooseNode[], errors: ValidationIssue[], prefix: PropertyKey[]): void {
  for (const n of nodes) {
    if (n.type !== 'human_gate') continue;
    if (n.raw.timeoutSeconds === undefined) {
      errors.push(issue('gate_timeout_required', [...prefix, 'nodes', n.index, 'timeoutSeconds'], `gate "${n.id}" must set its own timeoutSeconds`));
    }
    errors.push(...gatePolicyIssues(n.raw, [...prefix, 'nodes', n.index]));
  }
}

/** What a scope's bindings may see beyond its own nodes. */
interface BindingWorld {
  /** Every node id of the definition (bodies included). */
  ids: ReadonlySet<string>;
  /** The type of every node id. */
  typeOf: ReadonlyMap<string, unknown>;
  /** Ids upstream of the enclosing maps, in every enclosing scope (empty at the top level). */
  outer: ReadonlySet<string>;
}

/** Variables a map body provides: the current element and its position. */
const ITEM_VARIABLES: ReadonlySet<string> = new Set(['item', 'index']);

function checkBindings(scope: LooseScope, graph: Graph, world: BindingWorld, errors: ValidationIssue[], warnings: ValidationIssue[]): void {
  const { nodes, prefix } = scope;
  const { ids, typeOf } = world;
  const conditions = graph.nodes.filter((id) => typeOf.get(id) === 'condition');
  const skippable = descendants(graph, conditions);
  const dominance = new Map<string, Set<string>>();
  // Nodes still reachable from the roots when `y` is removed: `y` dominates (gates) every other node.
  const reachableWithout = (y: string): Set<string> => {
    let set = dominance.get(y);
    if (!set) {
      set = new Set<string>();
      const queue = roots(graph).filter((r) => r !== y);
      while (queue.length > 0) {
        const n = queue.pop() as string;
        if (set.has(n)) continue;
        set.add(n);
        for (const s of graph.succ.get(n) ?? []) if (s !== y && !set.has(s)) queue.push(s);
      }
      dominance.set(y, set);
    }
    return set;
  };

  for (const n of nodes) {
    const upstream = ancestors(graph, n.id);
    const check = (expression: string, at: PropertyKey[], parseCode: IssueCode): void => {
      if (expression.length > LIMITS.maxExpressionLength) {
        errors.push(issue('expression_too_long', at, `expression is ${expression.length} characters; the limit is ${LIMITS.maxExpressionLength}`));
        return;
      }
      const parsed = parseExpression(expression, ids);
      if (!parsed.ok) {
        const where = parsed.position === undefined ? '' : ` at position ${parsed.position}`;
        errors.push(issue(parseCode, at, `JSONata does not parse${where}: ${parsed.message}`));
        return;
      }
      for (const ref of parsed.references) {
        if (ref === CONTEXT_VARIABLE) continue;
        if (ITEM_VARIABLES.has(ref)) {
          if (scope.depth === 0) errors.push(issue('item_outside_map', at, `$${ref} exists only inside a map's body`));
          continue;
        }
        if (!ids.has(ref)) {
          errors.push(issue('unknown_reference', at, `$${ref} is not a node id (use $context for the run input)`));
        } else if (typeOf.get(ref) === 'parallel' || typeOf.get(ref) === 'join') {
          errors.push(issue('reference_without_output', at, `$${ref} is a ${String(typeOf.get(ref))} node, which has no output`));
        } else if (world.outer.has(ref)) {
          continue;
        } else if (!upstream.has(ref)) {
          const why = graph.nodes.includes(ref) ? 'its output may not exist yet' : 'it is inside another scope (a map body sees only its own nodes and what is upstream of its map)';
          errors.push(issue('reference_not_upstream', at, `$${ref} is not upstream of "${n.id}", so ${why}`));
        } else if (skippable.has(ref) && reachableWithout(ref).has(n.id)) {
          warnings.push(issue('binding_may_be_skipped', at, `$${ref} may be skipped by a condition while "${n.id}" still runs; the binding then sees no value`));
        }
      }
    };
    const at = [...prefix, 'nodes', n.index];
    const inputs = n.raw.inputs;
    if (inputs !== null && typeof inputs === 'object') {
      const depth = nestingDepth(inputs, LIMITS.maxInputDepth + 1);
      if (depth > LIMITS.maxInputDepth) {
        errors.push(issue('input_too_deep', [...at, 'inputs'], `inputs nest deeper than ${LIMITS.maxInputDepth} levels`));
      }
      for (const b of findBindings(inputs, LIMITS.maxInputDepth + 1)) check(b.expression, [...at, 'inputs', ...b.segments], 'invalid_binding');
    }
    if (n.type === 'condition' && typeof n.raw.expression === 'string' && n.raw.expression.length > 0) {
      check(n.raw.expression, [...at, 'expression'], 'invalid_expression');
    }
    if (n.type === 'map' && typeof n.raw.items === 'string' && n.raw.items.startsWith('$')) {
      check(n.raw.items, [...at, 'items'], 'invalid_binding');
    }
  }
}

/** Depth of nested objects/arrays (a scalar is 0), counted up to `cap`. */
function nestingDepth(value: unknown, cap: number): number {
  if (value === null || typeof value !== 'object' || cap <= 0) return 0;
  let deepest = 0;
  for (const v of Object.values(value)) {
    deepest = Math.max(deepest, nestingDepth(v, cap - 1));
    if (deepest >= cap - 1) break;
  }
  return 1 + deepest;
}
