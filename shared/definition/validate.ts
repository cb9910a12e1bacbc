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
import { fromZodIssues, issue, type IssueCode } from './issues';
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

  const nodes = looseNodes(input);
  const edges = looseEdges(input);
  const graph = checkGraph(nodes, edges, errors);
  checkGates(nodes, errors);
  errors.push(...checkExecutionTimeouts(
    nodes.map((n) => ({ index: n.index, id: n.id, type: n.type, timeoutSeconds: n.raw.timeoutSeconds })),
    (input as { defaults?: { timeoutSeconds?: unknown } } | null)?.defaults?.timeoutSeconds,
  ));
  checkBindings(nodes, graph, errors, warnings);
  checkSecurity(nodes, errors, warnings);

  const valid = errors.length === 0 && parsed.success;
  return {
    valid,
    errors,
    warnings,
    levels: valid ? kahnLevels(graph) : [],
    ...(valid && parsed.success ? { definition: parsed.data } : {}),
  };
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

/** Ids, edges, conditions and graph shape; returns the graph (self-loops and unknown endpoints left out). */
function checkGraph(nodes: LooseNode[], edges: LooseEdge[], errors: ValidationIssue[]): Graph {
  const firstIndex = new Map<string, number>();
  const typeOf = new Map<string, unknown>();
  for (const n of nodes) {
    const first = firstIndex.get(n.id);
    if (first !== undefined) {
      errors.push(issue('duplicate_id', ['nodes', n.index, 'id'], `node id "${n.id}" is already used by /nodes/${first}`));
      continue;
    }
    firstIndex.set(n.id, n.index);
    typeOf.set(n.id, n.type);
  }

  const seenEdges = new Set<string>();
  const defaults = new Set<string>();
  const graphEdges: Array<{ from: string; to: string }> = [];
  for (const e of edges) {
    const at = ['edges', e.index];
    let known = true;
    for (const end of ['from', 'to'] as const) {
      if (!firstIndex.has(e[end])) {
        errors.push(issue('unknown_node', [...at, end], `edge ${end} "${e[end]}" is not a node id`));
        known = false;
      }
    }
    if (e.from === e.to) errors.push(issue('self_loop', at, `edge from "${e.from}" to itself`));
    const key = JSON.stringify([e.from, e.to, e.hasWhen ? e.when : null, e.hasWhen, e.isDefault]);
    if (seenEdges.has(key)) errors.push(issue('duplicate_edge', at, `edge ${e.from} -> ${e.to} appears twice`));
    seenEdges.add(key);
    checkEdgeRoute(e, typeOf.get(e.from), defaults, errors);
    if (known && e.from !== e.to) graphEdges.push(e);
  }

  const graph = buildGraph(firstIndex.keys(), graphEdges);
  for (const cycle of findCycles(graph)) {
    const first = cycle[0] as string;
    const message = `cycle: ${[...cycle, first].join(' -> ')}`;
    errors.push(issue('cycle', ['nodes', firstIndex.get(first) ?? 0], message));
  }
  const reached = reachableFrom(graph, roots(graph));
  for (const id of graph.nodes) {
    if (!reached.has(id)) {
      errors.push(issue('unreachable', ['nodes', firstIndex.get(id) ?? 0], `node "${id}" cannot be reached from a root node`));
    }
  }
  return graph;
}

function checkEdgeRoute(e: LooseEdge, sourceType: unknown, defaults: Set<string>, errors: ValidationIssue[]): void {
  const at = ['edges', e.index];
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

function checkGates(nodes: LooseNode[], errors: ValidationIssue[]): void {
  for (const n of nodes) {
    if (n.type === 'human_gate' && n.raw.timeoutSeconds === undefined) {
      errors.push(issue('gate_timeout_required', ['nodes', n.index, 'timeoutSeconds'], `gate "${n.id}" must set its own timeoutSeconds`));
    }
  }
}

function checkBindings(nodes: LooseNode[], graph: Graph, errors: ValidationIssue[], warnings: ValidationIssue[]): void {
  const typeOf = new Map<string, unknown>();
  for (const n of nodes) if (!typeOf.has(n.id)) typeOf.set(n.id, n.type);
  const ids = new Set(typeOf.keys());
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
        if (!ids.has(ref)) {
          errors.push(issue('unknown_reference', at, `$${ref} is not a node id (use $context for the run input)`));
        } else if (typeOf.get(ref) === 'parallel' || typeOf.get(ref) === 'join') {
          errors.push(issue('reference_without_output', at, `$${ref} is a ${String(typeOf.get(ref))} node, which has no output`));
        } else if (!upstream.has(ref)) {
          errors.push(issue('reference_not_upstream', at, `$${ref} is not upstream of "${n.id}", so its output may not exist yet`));
        } else if (skippable.has(ref) && reachableWithout(ref).has(n.id)) {
          warnings.push(issue('binding_may_be_skipped', at, `$${ref} may be skipped by a condition while "${n.id}" still runs; the binding then sees no value`));
        }
      }
    };
    const inputs = n.raw.inputs;
    if (inputs !== null && typeof inputs === 'object') {
      const depth = nestingDepth(inputs, LIMITS.maxInputDepth + 1);
      if (depth > LIMITS.maxInputDepth) {
        errors.push(issue('input_too_deep', ['nodes', n.index, 'inputs'], `inputs nest deeper than ${LIMITS.maxInputDepth} levels`));
      }
      for (const b of findBindings(inputs, LIMITS.maxInputDepth + 1)) check(b.expression, ['nodes', n.index, 'inputs', ...b.segments], 'invalid_binding');
    }
    if (n.type === 'condition' && typeof n.raw.expression === 'string' && n.raw.expression.length > 0) {
      check(n.raw.expression, ['nodes', n.index, 'expression'], 'invalid_expression');
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
