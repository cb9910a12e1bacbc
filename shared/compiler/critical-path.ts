/**
 * Longest-path arithmetic on a DAG of weighted nodes: the critical path, the physical limit on a
 * run's duration (no schedule can finish sooner than its heaviest chain of dependent nodes).
 * Works on an index form of the graph so that planners can run it many times on large workflows.
 */
import type { Graph } from '../definition/graph';

/** A DAG in index form: node `i` is `ids[i]`; `topo` is a topological order. */
export interface IndexedDag {
  ids: string[];
  succ: number[][];
  pred: number[][];
  /** Node indices in a topological order (stable: Kahn's algorithm taking the smallest index first). */
  topo: number[];
  /** Kahn level of each node (0 for roots, else 1 + the deepest predecessor's level). */
  level: number[];
}

/** The critical path of a DAG under given node durations. */
export interface CriticalPath {
  /** Its length: the sum of the durations along it. */
  length: number;
  /** Its nodes, first to last. */
  path: string[];
}

/** Builds the index form of an acyclic graph; throws if the graph has a cycle. */
export function indexDag(graph: Graph): IndexedDag {
  const ids = graph.nodes;
  const at = new Map(ids.map((id, i) => [id, i]));
  const succ = ids.map((id) => (graph.succ.get(id) ?? []).map((s) => at.get(s) as number));
  const pred = ids.map((id) => (graph.pred.get(id) ?? []).map((p) => at.get(p) as number));
  const indegree = pred.map((p) => p.length);
  const level = new Array<number>(ids.length).fill(0);
  const topo: number[] = [];
  let frontier = ids.map((_, i) => i).filter((i) => indegree[i] === 0);
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const v of frontier) {
      topo.push(v);
      for (const s of succ[v] as number[]) {
        level[s] = Math.max(level[s] as number, (level[v] as number) + 1);
        indegree[s] = (indegree[s] as number) - 1;
        if (indegree[s] === 0) next.push(s);
      }
    }
    frontier = next.sort((a, b) => a - b);
  }
  if (topo.length !== ids.length) throw new Error('graph has a cycle');
  return { ids, succ, pred, topo, level };
}

/** The critical path of a DAG, with `duration` giving each node's duration (non-negative). */
export function criticalPath(dag: IndexedDag, duration: (id: string) => number): CriticalPath {
  const finish = new Array<number>(dag.ids.length).fill(0);
  const via = new Array<number>(dag.ids.length).fill(-1);
  let last = -1;
  for (const v of dag.topo) {
    let start = 0;
    for (const p of dag.pred[v] as number[]) {
      if (via[v] === -1 || (finish[p] as number) > start) {
        start = finish[p] as number;
        via[v] = p;
      }
    }
    finish[v] = start + duration(dag.ids[v] as string);
    if (last === -1 || (finish[v] as number) > (finish[last] as number)) last = v;
  }
  const path: string[] = [];
  for (let v = last; v !== -1; v = via[v] as number) path.push(dag.ids[v] as string);
  return { length: last === -1 ? 0 : (finish[last] as number), path: path.reverse() };
}
