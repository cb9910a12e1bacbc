import { compileTime, compileDirect, sizedWorkflow } from './cost';
const v = (process.argv[2] ?? 'critical-path+hints') as any;
const r = compileTime(10_000, v, 5);
console.log(v, r.medianMs.toFixed(1), 'ms', r.bytes);
