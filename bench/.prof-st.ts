import { sizedWorkflow } from './cost';
import { indexDag } from '../shared/compiler/critical-path';
import { buildGraph } from '../shared/definition/graph';
import { planCriticalPath } from '../shared/compiler/plan-critical-path';
import { nodeWeights } from '../shared/compiler/plan-weights';
const def = sizedWorkflow(10000, 'critical-path+hints', false);
const dag = indexDag(buildGraph(def.nodes.map((n) => n.id), def.edges));
const { weight } = nodeWeights(def, dag.ids);
const w = dag.ids.map((id) => weight.get(id)!);
for (const rl of [true, false]) { (globalThis as any).__st = {}; planCriticalPath(dag, w, { respectLevels: rl }); console.log(rl, JSON.stringify((globalThis as any).__st)); }
