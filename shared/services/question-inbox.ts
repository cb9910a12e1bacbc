/**
 * An agent's question as something that waits for a person, like a gate: when the agent asks, the question enters
 * the inboxes of those who may reply (the rule of a gate without an approvers list: the workflow's owner and its
 * grantees of at least `approver`) and `question.asked` is published; the reply, a cancel or the run's end takes it
 * out again. The inbox re-checks each entry on read (`inbox-service.ts`), so a missed removal never shows a question
 * that can no longer be answered.
 */
import { splitPartitionRunId } from '../store/map-items';
import type { Question } from '../store/node-questions';
import type { RunStores } from './execution-context';
import { notify } from './gate-lifecycle';
import { openingPrincipals } from './gate-policy';

/** The most characters of a question's text a notification carries (the whole question is on the run's node). */
export const QUESTION_NOTICE_CHARS = 280;

/** A question that was just asked (its partition run id is `<runId>#I#<path>` inside a map item). */
export interface AskedQuestion {
  /** The partition run id of the question. */
  rk: string;
  nodeId: string;
  workflowId: string;
  /** The workflow's owner (always in the inbox of a question). */
  ownerId: string;
  turn: number;
  askedAt: string;
  question: Question;
  /** After this (ISO) the question cannot be answered any more (at most `askedAt` + the node's `timeoutSeconds`). */
  timeoutAt: string;
}

/** The inbox principals of a question: the owner, and the workflow's grantees (`wf:<id>`). */
export function questionPrincipals(workflowId: string, ownerId: string): string[] {
  return openingPrincipals({ approvers: [], workflowId }, ownerId);
}

/** The question's text as a notification carries it: at most `QUESTION_NOTICE_CHARS` characters, `…` when cut. */
export function noticeText(text: string): string {
  const chars = [...text];
  return chars.length <= QUESTION_NOTICE_CHARS ? text : `${chars.slice(0, QUESTION_NOTICE_CHARS - 1).join('')}…`;
}

/**
 * Puts a question in the inboxes of those who may reply (with the run's open-wait item) and, with `announce`,
 * publishes `question.asked`. Idempotent: a repeated call writes the same entries (and publishes again).
 */
export async function questionOpened(stores: RunStores, q: AskedQuestion, options: { announce: boolean }): Promise<void> {
  const { timeoutAt } = q;
  await stores.inbox.add(
    { kind: 'question', runId: q.rk, nodeId: q.nodeId, workflowId: q.workflowId, openedAt: q.askedAt, timeoutAt },
    questionPrincipals(q.workflowId, q.ownerId),
    { open: true },
  );
  if (!options.announce) return;
  const { runId, item } = splitPartitionRunId(q.rk);
  // Only the text, cut short: the question's data parts may be large, and the whole question is on the run.
  await notify(stores, {
    type: 'question.asked', workflowId: q.workflowId, runId, ...(item !== undefined ? { item } : {}), nodeId: q.nodeId, at: q.askedAt,
    data: { text: noticeText(q.question.text), hasData: q.question.data !== null && q.question.data !== undefined, turn: q.turn, timeoutAt },
  });
}

/** Takes a question out of the inboxes (replied, cancelled, closed with its run). Idempotent. */
export async function questionClosed(stores: RunStores, q: { rk: string; nodeId: string; askedAt: string; workflowId: string; ownerId: string }): Promise<void> {
  await stores.inbox.remove({ runId: q.rk, nodeId: q.nodeId, openedAt: q.askedAt }, questionPrincipals(q.workflowId, q.ownerId));
}
