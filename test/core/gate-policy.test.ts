/**
 * The approval policy's pure rules: definition checks (quorum reachable, dataSchema compiles, escalation
 * before the timeout, `budget` reserved), eligibility by user, group, role and escalation, the tally, and the
 * groups claim as API Gateway hands it over.
 */
import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../../shared/definition/validate';
import { eligibility, tally } from '../../shared/services/gate-policy';
import { parseGroupsClaim } from '../../functions/http/groups-claim';
import type { Gate } from '../../shared/model/types';

const gateNode = (extra: object) => ({ id: 'g', type: 'human_gate', prompt: 'ok?', timeoutSeconds: 3_600, ...extra });
const codes = (def: object) => validateDefinition(def).errors.map((e) => [e.code, e.path]);

describe('gate policy rules', () => {
  it.each([
    { rule: 'quorum above the named approvers', node: gateNode({ approvers: ['a', 'b'], quorum: 3 }), expected: [['quorum_unreachable', '/nodes/0/quorum']] },
    { rule: 'a group makes any quorum reachable', node: gateNode({ approvers: ['a', 'group:x'], quorum: 3 }), expected: [] },
    { rule: 'dataSchema that does not compile', node: gateNode({ dataSchema: { type: 'nonsense' } }), expected: [['invalid_data_schema', '/nodes/0/dataSchema']] },
    { rule: 'escalation after the timeout', node: gateNode({ escalation: { afterSeconds: 7_200, approvers: ['b'] } }), expected: [['escalation_after_timeout', '/nodes/0/escalation/afterSeconds']] },
    { rule: 'reminders below the scheduler precision', node: gateNode({ reminders: { everySeconds: 5 } }), expected: [['too_small', '/nodes/0/reminders/everySeconds']] },
    { rule: 'budget is a reserved id', node: { ...gateNode({}), id: 'budget' }, expected: [['reserved_id', '/nodes/0/id']] },
  ])('$rule', ({ node, expected }) => {
    // Act / Assess
    expect(codes({ name: 'w', nodes: [node], edges: [] })).toEqual(expected);
  });

  it('decides eligibility by user, group, role and (once escalated) escalation list', () => {
    // Prepare
    const base = { runId: 'r', nodeId: 'g', status: 'waiting', prompt: 'p', openedAt: '', timeoutAt: '' } as const;
    const listed: Gate = { ...base, approvers: ['alice', 'group:finance'], escalation: { afterSeconds: 60, approvers: ['group:leads'] } };

    // Act / Assess
    expect(eligibility({ userId: 'alice' }, listed, undefined)).toBe('user:alice');
    expect(eligibility({ userId: 'bob', groups: ['finance'] }, listed, 'viewer')).toBe('group:finance');
    expect(eligibility({ userId: 'erin', groups: ['leads'] }, listed, 'editor')).toBeUndefined();
    expect(eligibility({ userId: 'erin', groups: ['leads'] }, { ...listed, escalatedAt: 'now' }, undefined)).toBe('escalation:group:leads');
    expect(eligibility({ userId: 'owner' }, { ...base, approvers: [] }, 'owner')).toBe('role:owner');
    expect(eligibility({ userId: 'ann' }, { ...base, approvers: [] }, 'runner')).toBeUndefined();
    expect(eligibility({ userId: 'ann' }, { ...base, approvers: [], minRole: 'editor' }, 'approver')).toBeUndefined();
  });

  it('tallies: the reject quorum wins over the quorum, both default to 1', () => {
    expect(tally({ approvals: 1 })).toBe('approved');
    expect(tally({ approvals: 1, quorum: 2 })).toBe('waiting');
    expect(tally({ approvals: 2, quorum: 2, rejections: 1 })).toBe('rejected');
    expect(tally({ rejections: 1, rejectQuorum: 2 })).toBe('waiting');
  });

  it('reads the groups claim in the shapes API Gateway and issuers use', () => {
    expect(parseGroupsClaim('[finance ops]')).toEqual(['finance', 'ops']);
    expect(parseGroupsClaim('["finance","ops"]')).toEqual(['finance', 'ops']);
    expect(parseGroupsClaim('finance,ops')).toEqual(['finance', 'ops']);
    expect(parseGroupsClaim(['a', 'a', 3])).toEqual(['a']);
    expect(parseGroupsClaim(undefined)).toEqual([]);
  });
});
