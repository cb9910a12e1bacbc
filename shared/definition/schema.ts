/**
 * The workflow definition format: Braid's public contract, as zod schemas.
 *
 * A definition is a DAG of nodes joined by edges. This module checks only the *shape* of a
 * definition; graph rules (cycles, reachability, bindings) live in `validate.ts`.
 */
import * as z from 'zod';
import { AuthSchema } from '../outbound/auth-schema';
import { HttpUrlSchema } from './http-url';
import { SecretRefSchema } from '../secrets/names';

/** Resource limits every definition must respect. Documented in the README ("Limits"). */
export const LIMITS = {
  /** Most nodes in one workflow. */
  maxNodes: 500,
  /** Most edges in one workflow. */
  maxEdges: 2_000,
  /** Longest JSONata expression (a binding or a condition), in characters. */
  maxExpressionLength: 4_096,
  /** Largest definition, as JSON, in bytes (also the HTTP body limit for workflow routes). */
  maxDefinitionBytes: 256 * 1024,
  /** Longest name. */
  maxNameLength: 128,
  /** Longest description. */
  maxDescriptionLength: 2_048,
  /** Deepest nesting of a literal value inside `inputs`. */
  maxInputDepth: 16,
  /** Most approvers on one gate. */
  maxApprovers: 50,
  /** Longest timeout of any node: one year, Step Functions' own cap for a task token. */
  maxTimeoutSeconds: 31_536_000,
  /** Most attempts of a retried node. */
  maxAttempts: 10,
  /** Deepest nesting of `map` nodes (a map inside a map's body is depth 2). */
  maxMapDepth: 3,
  /** Most items one `map` node runs (its `maxItems` may lower it). */
  maxMapItems: 10_000,
  /** Highest `maxConcurrency` of a map (Step Functions runs at most 40 inline iterations at a time). */
  maxMapConcurrency: 40,
  /**
   * Deepest chain of runs calling runs (`workflow_call`): a run started by a user is depth 0, its child depth 1…
   * A call that would start a child deeper than this fails `Braid.DepthExceeded` (which also ends A→B→A recursion).
   */
  maxCallDepth: 5,
} as const;

/** Defaults of a `map` node. Documented in the README ("Map"). */
export const MAP_DEFAULTS = {
  /** Items that run at the same time. */
  maxConcurrency: 10,
} as const;

/** Node id: a valid ASL state name and a valid JSONata variable name; `context`, `item` and `index` are reserved. */
export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Ids that a node may not take because the binding language or the compiler uses them. */
export const RESERVED_NODE_IDS = ['context', 'item', 'index', 'budget'] as const;

/** The node types Braid knows. */
export const NODE_TYPES = ['agent_call', 'tool_call', 'human_gate', 'condition', 'parallel', 'join', 'map', 'workflow_call'] as const;

/** A node type. */
export type NodeType = (typeof NODE_TYPES)[number];

/** The built-in tools, for demos and tests. */
export const BUILTIN_TOOLS = ['echo', 'sleep', 'fail'] as const;

const nodeId = z
  .string()
  .regex(NODE_ID_PATTERN, 'must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$')
  .refine((id) => !(RESERVED_NODE_IDS as readonly string[]).includes(id), 'is reserved');

const httpsOrHttpUrl = HttpUrlSchema;

/** Retry policy of an executable node; compiled into an ASL `Retry` block. */
export const RetrySchema = z.strictObject({
  /** Total attempts including the first. @default 1 (no retry) */
  maxAttempts: z.number().int().min(1).max(LIMITS.maxAttempts).optional(),
  /** Seconds before the first retry. @default 1 */
  intervalSeconds: z.number().int().min(1).max(99_999_999).optional(),
  /** Multiplier of the interval per retry. @default 2 */
  backoffRate: z.number().min(1).max(10).optional(),
  /** Cap on any single retry delay. */
  maxDelaySeconds: z.number().int().min(1).max(31_622_400).optional(),
  /** Randomise delays to spread retries. @default "NONE" */
  jitter: z.enum(['FULL', 'NONE']).optional(),
});

/** What happens when a node fails after its retries: fail the run, or record the error and go on. */
export const OnErrorSchema = z.enum(['fail', 'continue']);

const timeoutSeconds = z.number().int().min(1).max(LIMITS.maxTimeoutSeconds);

/** A literal or binding value inside `inputs`; strings starting with `$` are JSONata. */
export const InputsSchema = z.record(z.string().min(1).max(128), z.unknown());

const executable = {
  inputs: InputsSchema.optional(),
  retry: RetrySchema.optional(),
  timeoutSeconds: timeoutSeconds.optional(),
  onError: OnErrorSchema.optional(),
  /** A hint for the scheduler: the node's typical duration. */
  expectedSeconds: z.number().positive().max(LIMITS.maxTimeoutSeconds).optional(),
  /** Free text for people reading the workflow. */
  description: z.string().max(LIMITS.maxDescriptionLength).optional(),
};

/** `agent_call`: send a message to an A2A agent. */
export const AgentCallNodeSchema = z.strictObject({
  id: nodeId,
  type: z.literal('agent_call'),
  /** The agent's base URL (or its card's URL) and how to authenticate to it. */
  agent: z.strictObject({ url: httpsOrHttpUrl, auth: AuthSchema.optional() }),
  ...executable,
});

/** The tool a `tool_call` node invokes. */
export const ToolSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http'),
    url: httpsOrHttpUrl,
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
    /** Header values are text or `{ "secret": "name" }` (credential headers must be secrets: `plaintext_credential`). */
    headers: z.record(z.string().max(256), z.union([z.string().max(4_096), SecretRefSchema])).optional(),
    auth: AuthSchema.optional(),
  }),
  z.strictObject({ kind: z.literal('mcp'), url: httpsOrHttpUrl, name: z.string().min(1).max(256), auth: AuthSchema.optional() }),
  z.strictObject({
    kind: z.literal('lambda'),
    functionArn: z.string().regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$/, 'must be a Lambda function ARN'),
  }),
  z.strictObject({ kind: z.literal('builtin'), name: z.enum(BUILTIN_TOOLS) }),
]);

/** `tool_call`: invoke an HTTP endpoint, an MCP tool, a Lambda function or a built-in. */
export const ToolCallNodeSchema = z.strictObject({
  id: nodeId,
  type: z.literal('tool_call'),
  tool: ToolSchema,
  ...executable,
});

/** A gate approver: a user id, or `group:<name>` for every member of a group (from the token's groups claim). */
export const ApproverSchema = z.string().min(1).max(256).refine((a) => a !== 'group:', 'a group approver needs a name after "group:"');

/** `human_gate`: wait for a person (or a quorum of people) to approve or reject. */
export const HumanGateNodeSchema = z.strictObject({
  id: nodeId,
  type: z.literal('human_gate'),
  prompt: z.string().min(1).max(LIMITS.maxDescriptionLength),
  /** User ids and `group:<name>` entries allowed to vote; empty or absent means the owner and approver/editor grantees. */
  approvers: z.array(ApproverSchema).max(LIMITS.maxApprovers).optional(),
  /** Distinct approvals that approve the gate. @default 1 */
  quorum: z.number().int().min(1).max(LIMITS.maxApprovers).optional(),
  /** Distinct rejections that reject the gate. @default 1 (one rejection rejects) */
  rejectQuorum: z.number().int().min(1).max(LIMITS.maxApprovers).optional(),
  /** The user who started the run may not approve. @default false */
  forbidRequester: z.boolean().optional(),
  /** A JSON Schema (draft-07) that an approval's `data` must satisfy. */
  dataSchema: z.record(z.string(), z.unknown()).optional(),
  /** While the gate waits, a reminder is sent every `everySeconds` (at least 60: the scheduler's precision). */
  reminders: z.strictObject({ everySeconds: z.number().int().min(60).max(LIMITS.maxTimeoutSeconds) }).optional(),
  /** After `afterSeconds` the escalation approvers may vote too, and `gate.escalated` is recorded. */
  escalation: z.strictObject({
    afterSeconds: z.number().int().min(60).max(LIMITS.maxTimeoutSeconds),
    approvers: z.array(ApproverSchema).min(1).max(LIMITS.maxApprovers),
  }).optional(),
  inputs: InputsSchema.optional(),
  timeoutSeconds: timeoutSeconds.optional(),
  onError: OnErrorSchema.optional(),
  expectedSeconds: executable.expectedSeconds,
  description: executable.description,
});

/** A workflow id as the API gives them (a UUID), or any id of letters, digits and `._:-`. */
export const WORKFLOW_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * `workflow_call`: starts a child run of another workflow with the resolved `inputs` as its input, waits for it
 * (a task token: no Lambda runs meanwhile) and outputs the child run's output. No `retry`: a new attempt would be
 * a second child run; the child's own nodes retry.
 */
export const WorkflowCallNodeSchema = z.strictObject({
  id: nodeId,
  type: z.literal('workflow_call'),
  /** The workflow to run, and its version (absent: the latest version when the parent run starts, pinned then). */
  workflow: z.strictObject({
    id: z.string().regex(WORKFLOW_ID_PATTERN, 'must be a workflow id'),
    version: z.number().int().min(1).max(99_999_999).optional(),
  }),
  inputs: InputsSchema.optional(),
  timeoutSeconds: timeoutSeconds.optional(),
  onError: OnErrorSchema.optional(),
  expectedSeconds: executable.expectedSeconds,
  description: executable.description,
});

/** `condition`: evaluate a JSONata expression; outgoing edges carry `when` or `default`. */
export const ConditionNodeSchema = z.strictObject({
  id: nodeId,
  type: z.literal('condition'),
  expression: z.string().min(1),
  timeoutSeconds: timeoutSeconds.optional(),
  retry: RetrySchema.optional(),
  onError: OnErrorSchema.optional(),
  expectedSeconds: executable.expectedSeconds,
  description: executable.description,
});

/** `parallel`: an explicit fan-out point; it does no work of its own. */
export const ParallelNodeSchema = z.strictObject({
  id: nodeId,
  type: z.literal('parallel'),
  description: executable.description,
});

/** `join`: waits for its predecessors; `any` takes the first that finished. */
export const JoinNodeSchema = z.strictObject({
  id: nodeId,
  type: z.literal('join'),
  mode: z.enum(['all', 'any']).optional(),
  description: executable.description,
});

/** A JSON literal compared with a condition's value. */
export const WhenSchema = z.union([z.string().max(1_024), z.number(), z.boolean(), z.null()]);

/** A directed edge. Edges out of a `condition` carry `when` or `default: true`. */
export const EdgeSchema = z.strictObject({
  from: z.string().min(1).max(64),
  to: z.string().min(1).max(64),
  when: WhenSchema.optional(),
  default: z.literal(true).optional(),
});

/** How many items of a map may fail before the map fails: a count, or a percentage of the items. */
export const ToleratedFailuresSchema = z.union([
  z.strictObject({ count: z.number().int().min(0).max(LIMITS.maxMapItems) }),
  z.strictObject({ percent: z.number().min(0).max(100) }),
]);

/**
 * `map`: runs its `body` (a DAG, validated like a workflow) once per element of the array `items` evaluates to.
 * Inside the body, `$item` is the element and `$index` its position. Output: `{ results, failed }`.
 */
export interface MapNodeDef {
  id: string;
  type: 'map';
  /** A binding (starts with `$`) that must evaluate to an array. */
  items: string;
  /** Items that run at the same time. @default 10 */
  maxConcurrency?: number;
  /** Most items the map accepts; more is `Braid.BindingFailed`. Lower values let the compiler run it inline on AWS. @default 10000 */
  maxItems?: number;
  /** Failed items the map tolerates. @default { count: 0 } */
  toleratedFailures?: { count: number } | { percent: number };
  /** Seconds after which no new item starts and the map fails with `States.Timeout`. */
  timeoutSeconds?: number;
  onError?: 'fail' | 'continue';
  expectedSeconds?: number;
  description?: string;
  body: { nodes: NodeDef[]; edges: EdgeDef[] };
}

/** `map`: a DAG run once per item of a list (see `MapNodeDef`). */
export const MapNodeSchema: z.ZodType<MapNodeDef> = z.strictObject({
  id: nodeId,
  type: z.literal('map'),
  items: z.string().min(2).max(LIMITS.maxExpressionLength).startsWith('$', 'must be a binding (start with $)'),
  maxConcurrency: z.number().int().min(1).max(LIMITS.maxMapConcurrency).optional(),
  maxItems: z.number().int().min(1).max(LIMITS.maxMapItems).optional(),
  toleratedFailures: ToleratedFailuresSchema.optional(),
  timeoutSeconds: timeoutSeconds.optional(),
  onError: OnErrorSchema.optional(),
  expectedSeconds: executable.expectedSeconds,
  description: executable.description,
  get body() {
    return z.strictObject({
      nodes: z.array(NodeSchema).min(1).max(LIMITS.maxNodes),
      edges: z.array(EdgeSchema).max(LIMITS.maxEdges),
    });
  },
}) as unknown as z.ZodType<MapNodeDef>;

type LeafNodeDef =
  | z.infer<typeof AgentCallNodeSchema>
  | z.infer<typeof ToolCallNodeSchema>
  | z.infer<typeof HumanGateNodeSchema>
  | z.infer<typeof ConditionNodeSchema>
  | z.infer<typeof ParallelNodeSchema>
  | z.infer<typeof JoinNodeSchema>
  | z.infer<typeof WorkflowCallNodeSchema>;

/** Any node. */
export const NodeSchema: z.ZodType<LeafNodeDef | MapNodeDef> = z.discriminatedUnion('type', [
  AgentCallNodeSchema,
  ToolCallNodeSchema,
  HumanGateNodeSchema,
  ConditionNodeSchema,
  ParallelNodeSchema,
  JoinNodeSchema,
  WorkflowCallNodeSchema,
  MapNodeSchema as unknown as typeof JoinNodeSchema,
]) as unknown as z.ZodType<LeafNodeDef | MapNodeDef>;

/** Workflow-level defaults applied to every executable node that does not set its own. */
export const DefaultsSchema = z.strictObject({
  retry: RetrySchema.optional(),
  /** @default 300 (gates have no default: each gate must say how long it waits) */
  timeoutSeconds: timeoutSeconds.optional(),
  onError: OnErrorSchema.optional(),
});

/** A spending cap: US dollars and/or tokens (input + output) reported by the nodes. */
export const BudgetSchema = z.strictObject({
  usd: z.number().positive().max(1e9).optional(),
  tokens: z.number().int().positive().max(1e15).optional(),
});

/** Where a workflow's notifications go besides the EventBridge bus. */
export const NotifySchema = z.strictObject({
  /** Receives signed webhooks (gate opened, reminded, escalated, decided; an agent asked; run finished). */
  webhookUrl: httpsOrHttpUrl,
});

/** A whole workflow definition, as users write it. */
export const WorkflowDefinitionSchema = z.strictObject({
  name: z.string().min(1).max(LIMITS.maxNameLength),
  description: z.string().max(LIMITS.maxDescriptionLength).optional(),
  visibility: z.enum(['private', 'public']).optional(),
  isTemplate: z.boolean().optional(),
  /** A JSON Schema that each run's input must satisfy. */
  inputSchema: z.record(z.string(), z.unknown()).optional(),
  defaults: DefaultsSchema.optional(),
  /** The default budget of each run (a run may ask for less; only the owner may ask for more). */
  budget: BudgetSchema.optional(),
  /** What a run over budget does before its next `agent_call`. @default "fail" */
  onBudgetExceeded: z.enum(['fail', 'gate']).optional(),
  /** Webhook notifications. */
  notify: NotifySchema.optional(),
  nodes: z.array(NodeSchema).min(1).max(LIMITS.maxNodes),
  edges: z.array(EdgeSchema).max(LIMITS.maxEdges),
});

/** A workflow definition. */
export type WorkflowDefinition = z.infer<typeof WorkflowDefinitionSchema>;
/** Any node of a definition. */
export type NodeDef = LeafNodeDef | MapNodeDef;
/** An edge of a definition. */
export type EdgeDef = z.infer<typeof EdgeSchema>;
/** A budget. */
export type Budget = z.infer<typeof BudgetSchema>;
/** A human gate node. */
export type HumanGateNodeDef = z.infer<typeof HumanGateNodeSchema>;
/** A retry policy. */
export type RetryPolicy = z.infer<typeof RetrySchema>;
/** A `workflow_call` node. */
export type WorkflowCallNodeDef = z.infer<typeof WorkflowCallNodeSchema>;
/** The tool of a `tool_call` node. */
export type ToolDef = z.infer<typeof ToolSchema>;

/** Node types that do work through the executor (every type but `parallel` and `join`). */
export const EXECUTABLE_TYPES: readonly NodeType[] = ['agent_call', 'tool_call', 'human_gate', 'condition', 'map', 'workflow_call'];

/** Default timeout of an executable node without one of its own or a workflow default. */
export const DEFAULT_TIMEOUT_SECONDS = 300;
