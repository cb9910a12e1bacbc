import { createHash } from 'node:crypto';
import { compileDirect, sizedWorkflow } from './cost';
import { suite, materialize } from './scheduling';
import { dagWorkflow } from './dags';
const h = createHash('sha256');
for (const n of [500, 2000, 10000]) for (const v of ['critical-path', 'critical-path+hints'] as const) h.update(JSON.stringify(compileDirect(sizedWorkflow(n, v, false), v).asl));
for (const c of suite(6, [10, 50, 200])) { const { dag, durations } = materialize(c); for (const v of ['critical-path', 'critical-path+hints'] as const) h.update(JSON.stringify(compileDirect(dagWorkflow(dag, v === 'critical-path+hints' ? durations : undefined), v).asl)); }
console.log(h.digest('hex'));
