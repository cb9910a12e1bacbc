/**
 * Admission of an attempt before its side effect: take the node's claim (`shared/store/node-claims.ts`), or
 * wait for whoever holds it. A duplicate delivery of the same attempt waits for the holder's recorded result
 * and replays it; a later attempt that arrives while an earlier one still runs marks it superseded and waits
 * for it to finish; a holder that died is taken over once its lease expires. So a node's tool is never called
 * by two deliveries at once, and the same attempt's call is repeated only after its holder's lease expired.
 */
import { randomUUID } from 'node:crypto';
import type { NodeContract } from '../contract/node-contract';
import { ERROR_NAMES } from '../contract/error-names';
import { BraidError } from '../errors';
import { TransientError } from '../executors';
import type { NodeRun } from '../model/types';
import type { AttemptRecord } from '../store/node-runs';
import type { NodeClaim } from '../store/node-claims';
import { nowIso, type RunStores } from './execution-context';

/** How long after the node's deadline a claim stays valid: time for the holder to record its outcome. */
export const CLAIM_LEASE_MARGIN_MS = 30_000;
/** Polling of a held claim: first and largest interval. */
const POLL = { firstMs: 25, maxMs: 500 } as const;
/** Tries of a claim write that failed with `Braid.Transient` (it may have applied: every claim write is idempotent for its owner). */
const CLAIM_WRITE_TRIES = 4;

/**
 * Runs a claim write, trying again when the store failed transiently. Safe because each claim write is
 * idempotent for its owner: a take whose first try applied is recognised by `owner = me`, a release is
 * conditional on the owner. Without this, one lost release would stall the node's next attempt for a lease.
 */
export async function claimWrite<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= CLAIM_WRITE_TRIES || !(error instanceof Error && error.name === ERROR_NAMES.transient)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }
}

/**
 * Waiters in this process, by `runId#nodeId`: a release wakes them at once instead of at their next poll (twin
 * deliveries often land in the same process; across processes, polling alone finds the release).
 */
const localWaiters = new Map<string, Set<() => void>>();

/** Resolves at the next release of the node's claim in this process, or after `ms`. */
function releasedOrAfter(key: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const waiters = localWaiters.get(key) ?? new Set<() => void>();
    localWaiters.set(key, waiters);
    const done = () => {
      clearTimeout(timer);
      waiters.delete(done);
      if (waiters.size === 0 && localWaiters.get(key) === waiters) localWaiters.delete(key);
      resolve();
    };
    const timer = setTimeout(done, ms);
    waiters.add(done);
  });
}

/**
 * Releases this owner's claim, trying again on transient failures; a release still lost expires with its lease.
 * `alreadyReleased`: the outcome's write released it (`transition` with `releasing`); only wake the waiters.
 */
export async function releaseClaim(stores: RunStores, runId: string, nodeId: string, owner: string, alreadyReleased = false): Promise<void> {
  if (!alreadyReleased) await claimWrite(() => stores.claims.release(runId, nodeId, owner)).catch(() => undefined);
  for (const wake of [...(localWaiters.get(`${runId}#${nodeId}`) ?? [])]) wake();
}

/** What the delivery may do. */
export type Admission =
  /** Run the attempt; release the claim with `owner` when its bookkeeping is done (`started`: the node, already moved to `running`). */
  | { kind: 'run'; owner: string; started?: NodeRun }
  /** Another delivery of this attempt finished it: replay its record. */
  | { kind: 'replay'; record: AttemptRecord };

/** A late delivery of an attempt that a later attempt has replaced: nothing ran (not retried). */
export class SupersededAttemptError extends BraidError {
  constructor(runId: string, nodeId: string, attempt: number, current: number) {
    super('attempt_superseded', `attempt ${attempt} of ${nodeId} in run ${runId} was replaced by attempt ${current}`);
    this.name = ERROR_NAMES.superseded;
  }
}

/** The claim's lease: the node's timeout plus the margin for recording its outcome. */
function leaseMsOf(policy: NodeContract): number {
  return policy.timeoutSeconds * 1_000 + CLAIM_LEASE_MARGIN_MS;
}

/**
 * A node's first attempt, whose bindings read only plain upstream nodes: takes the claim and moves the node to
 * `running` in one write (`NodeClaimRepository.takeStarting`), returning the running node as `started`. When that
 * write does not hold (a redelivery, a claim held), the claim is taken as usual by `admitAttempt`, with the same
 * owner (so a first try that applied before the store failed is recognised).
 */
export async function admitStarting(stores: RunStores, runId: string, nodeId: string, attempt: number, policy: NodeContract): Promise<Admission> {
  const owner = randomUUID();
  const now = Date.now();
  const startedAt = nowIso(stores);
  let started: NodeRun | undefined;
  try {
    started = await claimWrite(() => stores.claims.takeStarting(runId, nodeId, attempt, owner, now + leaseMsOf(policy), now, startedAt));
  } catch (error) {
    await releaseClaim(stores, runId, nodeId, owner);
    throw error;
  }
  if (started) return { kind: 'run', owner, started };
  return admitAttempt(stores, runId, nodeId, attempt, policy, owner);
}

/** Takes the claim of `nodeId` for `attempt`, waiting (with a deadline) while another delivery holds it. */
export async function admitAttempt(stores: RunStores, runId: string, nodeId: string, attempt: number, policy: NodeContract, owner: string = randomUUID()): Promise<Admission> {
  const leaseMs = leaseMsOf(policy);
  // A waiter never waits longer than one lease past its own arrival: by then every holder has expired.
  const giveUpAt = Date.now() + leaseMs + CLAIM_LEASE_MARGIN_MS;
  let retake = false;
  for (;;) {
    const now = Date.now();
    let outcome;
    try {
      outcome = await claimWrite(() => stores.claims.take(runId, nodeId, attempt, owner, now + leaseMs, now, retake));
    } catch (error) {
      // The take may have applied before the store failed: give the claim back rather than stall the next attempt.
      await releaseClaim(stores, runId, nodeId, owner);
      throw error;
    }
    if (outcome.kind === 'taken') return { kind: 'run', owner };
    const held = outcome.claim;
    if (held.attempt > attempt) throw new SupersededAttemptError(runId, nodeId, attempt, held.attempt);
    if (held.attempt === attempt && held.state === 'done') {
      const record = await stores.nodeRuns.getAttempt(runId, nodeId, attempt);
      if (record && record.status !== 'running') return { kind: 'replay', record };
      // The other delivery stopped without recording an outcome (the run ended, or the store failed): this one
      // goes through the attempt itself (and repeats its call, with the same idempotency key, if it gets that far).
      retake = true;
      continue;
    }
    if (held.attempt < attempt) await stores.claims.supersede(runId, nodeId, held.attempt, nowIso(stores));
    if (Date.now() > giveUpAt) throw new TransientError(`node ${nodeId} stayed claimed by attempt ${held.attempt}`);
    await waitForChange(stores, runId, nodeId, held, giveUpAt);
  }
}

/** Polls the claim until it is released, taken by someone else, or its lease has expired (or `giveUpAt`). */
async function waitForChange(stores: RunStores, runId: string, nodeId: string, held: NodeClaim, giveUpAt: number): Promise<void> {
  let interval: number = POLL.firstMs;
  for (;;) {
    if (Date.now() >= Math.min(held.leaseUntil, giveUpAt)) return;
    await releasedOrAfter(`${runId}#${nodeId}`, interval);
    interval = Math.min(POLL.maxMs, Math.round(interval * 1.5));
    const now = await stores.claims.get(runId, nodeId);
    if (!now || now.state !== 'running' || now.owner !== held.owner || now.attempt !== held.attempt) return;
  }
}
