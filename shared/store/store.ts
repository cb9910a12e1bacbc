/**
 * The store: every repository on one table, built once per function (composition root).
 */
import type { TableRef } from './table';
import { WorkflowRepository } from './workflows';
import { GrantRepository } from './grants';
import { RunRepository } from './runs';
import { QuotaRepository } from './quotas';

/** Braid's repositories over one table. */
export interface Store {
  table: TableRef;
  workflows: WorkflowRepository;
  grants: GrantRepository;
  runs: RunRepository;
  quotas: QuotaRepository;
}

/** Builds the repositories over `table`. */
export function createStore(table: TableRef): Store {
  return { table, workflows: new WorkflowRepository(table), grants: new GrantRepository(table), runs: new RunRepository(table), quotas: new QuotaRepository(table) };
}
