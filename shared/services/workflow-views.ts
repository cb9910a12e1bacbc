/**
 * What the API returns for workflows: heads, versions and summaries, with server-only fields
 * (state machine ARNs, deletion marks) left out by construction.
 */
import type { WorkflowDefinition } from '../definition/schema';
import type { ValidationIssue, Workflow, WorkflowVersion } from '../model/types';
import type { EffectiveRole } from './permissions';

/** A workflow at one version, as returned by create, get and update. */
export interface WorkflowView {
  id: string;
  ownerId: string;
  name: string;
  description?: string;
  visibility: 'private' | 'public';
  isTemplate: boolean;
  /** The version shown. */
  version: number;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
  definition: WorkflowDefinition;
  warnings: ValidationIssue[];
  /** The caller's role on this workflow. */
  role: EffectiveRole;
}

/** A workflow in a listing (no definition). */
export interface WorkflowSummary {
  id: string;
  ownerId: string;
  name: string;
  description?: string;
  visibility: 'private' | 'public';
  isTemplate: boolean;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
  role: EffectiveRole;
}

/** One entry of a workflow's version history. */
export interface VersionSummary {
  version: number;
  name: string;
  createdAt: string;
  createdBy: string;
  warnings: number;
}

/** Builds the summary of a head for a caller with `role`. */
export function summaryView(w: Workflow, role: EffectiveRole): WorkflowSummary {
  return {
    id: w.id, ownerId: w.ownerId, name: w.name, ...(w.description !== undefined ? { description: w.description } : {}),
    visibility: w.visibility, isTemplate: w.isTemplate, latestVersion: w.latestVersion, createdAt: w.createdAt, updatedAt: w.updatedAt, role,
  };
}

/** Builds the full view of a head at version `v`. */
export function workflowView(w: Workflow, v: WorkflowVersion, role: EffectiveRole): WorkflowView {
  const { latestVersion: _l, role: _r, name: _n, description: _d, ...summary } = summaryView(w, role);
  // Name and description belong to the version shown; visibility and template status are the workflow's now.
  const described = v.definition.description !== undefined ? { description: v.definition.description } : {};
  return { ...summary, name: v.definition.name, ...described, version: v.version, latestVersion: w.latestVersion, definition: v.definition, warnings: v.warnings, role };
}

/** Builds a version-history entry. */
export function versionSummary(v: WorkflowVersion): VersionSummary {
  return { version: v.version, name: v.definition.name, createdAt: v.createdAt, createdBy: v.createdBy, warnings: v.warnings.length };
}
