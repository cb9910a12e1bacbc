/**
 * Reading workflows (the api function's service): get a version, version history, listings by scope,
 * templates, the diagram, validation without storing, and soft delete.
 */
import type { QuotaService } from './quota-service';
import type { MachineCleanup } from './machine-cleanup';
import * as z from 'zod';
import { NotFoundError, ValidationError } from '../errors';
import type { Workflow } from '../model/types';
import type { Store } from '../store/store';
import { decodeCursor, encodeCursor, type Page, type PageKey } from '../store/cursor';
import type { RawPage } from '../store/query';
import { toWorkflow, toVersion } from '../store/workflows';
import { isExpired } from '../store/grants';
import { toMermaid } from '../diagram/mermaid';
import { effectiveRole, type Caller, type PermissionService } from './permissions';
import type { DefinitionCheck, ValidateDefinition } from './workflow-ports';
import { summaryView, versionSummary, workflowView, type VersionSummary, type WorkflowSummary, type WorkflowView } from './workflow-views';
import { zodIssues } from './zod-issues';

/** Page sizes: `limit` defaults to 20 and is capped at 100. */
export const PAGE_LIMITS = { default: 20, max: 100 } as const;

/** Listing scopes of `GET /api/v1/workflows`. */
export const SCOPES = ['mine', 'shared', 'public', 'all'] as const;

/** Query of a paginated listing. */
export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(PAGE_LIMITS.max).default(PAGE_LIMITS.default),
  cursor: z.string().max(4_096).optional(),
});

const ListQuerySchema = PageQuerySchema.extend({ scope: z.enum(SCOPES).default('all') });
const VersionQuerySchema = z.object({ version: z.coerce.number().int().min(1).max(99_999_999).optional() });

function parseQuery<S extends z.ZodType>(schema: S, query: Record<string, string | undefined>): z.infer<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error, '/query'));
  return parsed.data;
}

/** A Mermaid diagram of one version. */
export interface DiagramView {
  workflowId: string;
  version: number;
  mermaid: string;
}

/** The read side of workflows. */
export interface WorkflowReadService {
  get(caller: Caller, id: string, query: Record<string, string | undefined>): Promise<WorkflowView>;
  list(caller: Caller, query: Record<string, string | undefined>): Promise<Page<WorkflowSummary>>;
  templates(caller: Caller, query: Record<string, string | undefined>): Promise<Page<WorkflowSummary>>;
  versions(caller: Caller, id: string, query: Record<string, string | undefined>): Promise<Page<VersionSummary>>;
  diagram(caller: Caller, id: string, query: Record<string, string | undefined>): Promise<DiagramView>;
  validate(body: unknown): Omit<DefinitionCheck, 'definition'>;
  remove(caller: Caller, id: string): Promise<void>;
}

/** One phase of a multi-phase listing: fetch a raw page, then turn raw items into results (dropping some). */
interface Phase<T> {
  fetch(limit: number, startKey?: PageKey): Promise<RawPage>;
  keep(items: Record<string, unknown>[]): Promise<T[]>;
}

/**
 * Fills one page from consecutive phases. Each query asks for exactly the rows still missing, so the
 * continuation key is exact even when rows are filtered out. Bounded rounds keep a sparse listing cheap;
 * a short page with a cursor simply means "more may follow".
 */
async function collect<T>(listing: string, phases: Phase<T>[], limit: number, cursor: string | undefined): Promise<Page<T>> {
  let { phase, key } = decodeCursor(listing, cursor);
  if (phase >= phases.length) throw new ValidationError([{ code: 'invalid_cursor', path: '/query/cursor', message: 'is not a cursor issued by this listing' }]);
  const items: T[] = [];
  for (let round = 0; round < 10 && phase < phases.length && items.length < limit; round++) {
    const current = phases[phase]!;
    const raw = await current.fetch(limit - items.length, key);
    items.push(...(await current.keep(raw.items)));
    if (raw.lastKey) key = raw.lastKey;
    else {
      phase += 1;
      key = undefined;
    }
  }
  return { items, ...(phase < phases.length ? { nextCursor: encodeCursor(listing, { phase, ...(key ? { key } : {}) }) } : {}) };
}

/** Builds the read service. */
export function createWorkflowReadService(deps: {
  store: Store;
  permissions: PermissionService;
  validate: ValidateDefinition;
  clock?: () => Date;
  /** Gives the owner's workflow back to the workflow quota on delete; absent: none enforced. */
  quotas?: Pick<QuotaService, 'releaseWorkflow'>;
  /** Deletes a deleted workflow's state machine once no run uses it; absent: machines are kept. */
  cleanup?: Pick<MachineCleanup, 'deleteIfUnused'>;
}): WorkflowReadService {
  const clock = deps.clock ?? (() => new Date());
  const { workflows, grants } = deps.store;

  async function versionOf(caller: Caller, id: string, query: Record<string, string | undefined>) {
    const { workflow, role } = await deps.permissions.authorizeWorkflow(caller, id, 'view');
    const { version } = parseQuery(VersionQuerySchema, query);
    const v = await workflows.getVersion(workflow, version ?? workflow.latestVersion);
    if (!v) throw new NotFoundError('version', `${id}@${version}`);
    return { workflow, role, v };
  }

  const live = (w: Workflow) => w.deletedAt === undefined;

  const ownedPhase = (caller: Caller): Phase<WorkflowSummary> => ({
    fetch: (limit, key) => workflows.listByOwner(caller.userId, limit, key),
    keep: async (items) => items.map(toWorkflow).filter(live).map((w) => summaryView(w, 'owner')),
  });

  const sharedPhase = (caller: Caller): Phase<WorkflowSummary> => ({
    fetch: (limit, key) => grants.listByUser(caller.userId, limit, key),
    keep: async (items) => {
      const now = clock();
      const byWorkflow = new Map(items.map((i) => [String(i.workflowId), i]));
      const heads = await workflows.getMany([...byWorkflow.keys()]);
      return heads.flatMap((w) => {
        const grant = byWorkflow.get(w.id) as unknown as Parameters<typeof isExpired>[0];
        if (!live(w) || w.ownerId === caller.userId || isExpired(grant, now)) return [];
        const role = effectiveRole(caller, w, grant, now);
        return role ? [summaryView(w, role)] : [];
      });
    },
  });

  /** Public (or template) catalogue; with `skipKnown`, drops what earlier phases of `all` already listed. */
  const catalogPhase = (caller: Caller, kind: 'PUBLIC' | 'TEMPLATE', skipKnown: boolean): Phase<WorkflowSummary> => ({
    fetch: (limit, key) => workflows.listCatalog(kind, limit, key),
    keep: async (items) => {
      const now = clock();
      const heads = items.map(toWorkflow).filter(live);
      const mine = await Promise.all(heads.map((w) => (w.ownerId === caller.userId ? undefined : grants.get(w.id, caller.userId))));
      return heads.flatMap((w, i) => {
        const grant = mine[i];
        const hasGrant = grant !== undefined && !isExpired(grant, now);
        if (skipKnown && (w.ownerId === caller.userId || hasGrant)) return [];
        const role = effectiveRole(caller, w, grant, now);
        return role ? [summaryView(w, role)] : [];
      });
    },
  });

  return {
    async get(caller, id, query) {
      const { workflow, role, v } = await versionOf(caller, id, query);
      return workflowView(workflow, v, role);
    },

    async list(caller, query) {
      const { scope, limit, cursor } = parseQuery(ListQuerySchema, query);
      const phases: Record<(typeof SCOPES)[number], Phase<WorkflowSummary>[]> = {
        mine: [ownedPhase(caller)],
        shared: [sharedPhase(caller)],
        public: [catalogPhase(caller, 'PUBLIC', false)],
        all: [ownedPhase(caller), sharedPhase(caller), catalogPhase(caller, 'PUBLIC', true)],
      };
      return collect(`workflows:${scope}:${caller.userId}`, phases[scope], limit, cursor);
    },

    async templates(caller, query) {
      const { limit, cursor } = parseQuery(PageQuerySchema, query);
      return collect(`templates:${caller.userId}`, [catalogPhase(caller, 'TEMPLATE', false)], limit, cursor);
    },

    async versions(caller, id, query) {
      const { workflow } = await deps.permissions.authorizeWorkflow(caller, id, 'view');
      const { limit, cursor } = parseQuery(PageQuerySchema, query);
      return collect(`versions:${id}:${caller.userId}`, [{
        fetch: (n, key) => workflows.listVersions(id, n, key),
        // Versions above the head's latestVersion are unreferenced (a crash or a write in flight): hide them.
        keep: async (items) => items.map(toVersion).filter((v) => v.version <= workflow.latestVersion).map(versionSummary),
      }], limit, cursor);
    },

    async diagram(caller, id, query) {
      const { v } = await versionOf(caller, id, query);
      const { levels } = deps.validate(v.definition);
      return { workflowId: id, version: v.version, mermaid: toMermaid(v.definition, levels) };
    },

    validate(body) {
      const { definition: _d, ...result } = deps.validate(body);
      return result;
    },

    async remove(caller, id) {
      const { workflow } = await deps.permissions.authorizeWorkflow(caller, id, 'delete');
      await workflows.softDelete(id, clock().toISOString());
      // Only the delete that landed gets here (softDelete is conditional), so the count drops once.
      await deps.quotas?.releaseWorkflow(workflow.ownerId);
      // With runs in flight the machine stays; the finalizer deletes it when the last one ends.
      await deps.cleanup?.deleteIfUnused(id).catch(() => undefined);
    },
  };
}
