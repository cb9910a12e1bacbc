/**
 * The execution contract between the compiler, the executor and the orchestrators: error names, the Task
 * payload, retriers and attempt accounting, and the per-node contract stored with each workflow version.
 */
export * from './error-names';
export * from './retriers';
export * from './attempts';
export * from './task-payload';
export * from './node-contract';
