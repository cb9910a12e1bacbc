import { sizedWorkflow, compileDirect } from './cost';
import { indexDag } from '../shared/compiler/critical-path';
import { buildGraph } from '../shared/definition/graph';
import { planCriticalPath } from '../shared/compiler/plan-critical-path';
import { nodeWeights } from '../shared/compiler/plan-weights';
const def = sizedWorkflow(10000, 'critical-path+hints', false);
const g = buildGraph(def.nodes.map((n) => n.id), def.edges);
const dag = indexDag(g);
const { weight } = nodeWeights(def, dag.ids);
const w = dag.ids.map((id) => weight.get(id)!);
const cpu = (f: () => void) => { const t = process.cpuUsage(); f(); const d = process.cpuUsage(t); return (d.user + d.system) / 1000; };
const mins: Record<string, number> = {};
for (let i = 0; i < 6; i++) {
  for (const rl of [true, false]) { const k = 'plan rl=' + rl; mins[k] = Math.min(mins[k] ?? Infinity, cpu(() => planCriticalPath(dag, w, { respectLevels: rl }))); }
  mins.compile = Math.min(mins.compile ?? Infinity, cpu(() => compileDirect(def, 'critical-path+hints')));
}
console.log(JSON.stringify(mins));
