import type { DecisionRecordedData } from '@clearwork/contracts';
import { MemoryRedis, timeOfId } from '@clearwork/platform';
import { replayDecision } from '@clearwork/matching-core';
import { DEFAULT_POLICY } from '@clearwork/scoring-core';
import { aTaskPosted } from '@clearwork/testing';
import type Redis from 'ioredis';
import type { EntityManager } from 'typeorm';
import type { DispatchPolicy } from '../policies/dispatch-policy';
import type { NewDecision, TaskStore } from '../tasks/task-store';
import type { CandidateIndex, IndexedWorker } from '../workers/candidate-index';
import { CapacityLedger, LEDGER_SENTINEL } from './capacity-ledger';
import { DispatchPlanner, type ReplicaAttempt } from './dispatch-planner';
import { SlotClaims } from './slot-claims';

const NOW = new Date('2026-12-04T12:00:00Z');
const SKILL = 'image-labelling';

function worker(workerId: string, quality: number, capacity = 1): IndexedWorker {
  return {
    workerId, skills: [SKILL], languages: ['en'], qualifications: [], online: true, suspended: false, capacity,
    scores: { quality, latency: 0.5, availability: 0.5, qualityEvidence: 10 }, lastSeenMs: NOW.getTime(),
    digestHead: workerId, digestTail: `${capacity}`,
  };
}

/**
 * A planner over an in-memory index, store and Redis (the Lua scripts' twins). `race` runs once
 * the unit's view has read capacity in use, as another dispatcher taking slots would.
 */
async function setUp(workers: readonly IndexedWorker[], race: (redis: MemoryRedis) => Promise<void>, recentOfferees: readonly string[] = []) {
  const redis = new MemoryRedis();
  await redis.set(LEDGER_SENTINEL, NOW.toISOString());
  const decisions: NewDecision[] = [];
  const touchReads: string[][] = [];
  let raced = false;
  const store = {
    recentOffersMany: async (_m: unknown, queues: readonly string[]) => {
      if (!raced) await race(redis);
      raced = true;
      return new Map(queues.map((q) => [q, recentOfferees.map((workerId, i) => ({ offerId: `o-${i}`, workerId, atMicros: 1_000 - i }))]));
    },
    workersTouchingMany: async (_m: unknown, ids: readonly string[]) => {
      touchReads.push([...ids]);
      return new Map(ids.map((id) => [id, { onTask: new Set<string>(), declined: new Set<string>() }]));
    },
    writeRecords: async (_m: unknown, w: { decisions: readonly NewDecision[] }) => void decisions.push(...w.decisions),
  } as unknown as TaskStore;
  const index = {
    members: () => workers, get: (id: string) => workers.find((w) => w.workerId === id),
    membershipVersion: 0, changePosition: 0, changesSince: () => ({ ids: [], position: 0 }), followOffers: () => undefined,
  } as unknown as CandidateIndex;
  const policy = { version: 1, contentHash: 'policy-1', document: DEFAULT_POLICY };
  const policies = { current: async () => policy } as unknown as DispatchPolicy;
  const ledger = new CapacityLedger(redis as unknown as Redis);
  const planner = new DispatchPlanner(index, store, redis as unknown as Redis, ledger, policies);
  return { redis, planner, claims: new SlotClaims(ledger), decisions, touchReads, m: {} as EntityManager };
}

const attempts: (ReplicaAttempt & { postedAt: string })[] = [1, 2, 3, 4].map((n) => ({
  task: aTaskPosted({ taskId: `task-${n}`, requiredSkills: [SKILL] }).data, replica: 1, attempt: 1, now: NOW, postedAt: NOW.toISOString(),
}));

/** What a decision shows, without its random id. */
const outcome = (d: NewDecision) => {
  const r = d.record as DecisionRecordedData;
  return { taskId: r.taskId, selected: r.selectedWorkerId, atCapacity: r.filteredOut.at_capacity ?? 0, inputDigest: r.inputDigest, topK: r.topK.map((c) => c.workerId) };
};

/** The same attempts made one at a time (`plan`, a claim per candidate tried) and together (`planMany`). */
async function both(workers: readonly IndexedWorker[], race: (redis: MemoryRedis) => Promise<void>) {
  const alone = await setUp(workers, race);
  for (const a of attempts) await alone.planner.plan(alone.m, alone.claims, a);
  const together = await setUp(workers, race);
  await together.planner.planMany(together, attempts, { fresh: true });
  const counters = async (redis: MemoryRedis) => Promise.all(workers.map((w) => redis.get(`active:${w.workerId}`)));
  return { alone: alone.decisions.map(outcome), together: together.decisions.map(outcome), aloneCounters: await counters(alone.redis), togetherCounters: await counters(together.redis), together_: together };
}

describe('DispatchPlanner.planMany', () => {
  const workers = [worker('w-a', 0.9), worker('w-b', 0.8), worker('w-c', 0.7, 2)];

  it('claims the slots of a unit together and decides exactly as claiming one at a time would', async () => {
    const { alone, together, aloneCounters, togetherCounters } = await both(workers, async () => undefined);
    expect(together.map((d) => d.selected)).toEqual(['w-a', 'w-b', 'w-c', 'w-c']);
    // Each attempt sees the slots the unit's earlier offers took: those workers are not ranked.
    expect(together.map((d) => [d.topK, d.atCapacity])).toEqual([[['w-a', 'w-b', 'w-c'], 0], [['w-b', 'w-c'], 1], [['w-c'], 2], [['w-c'], 2]]);
    expect(together).toEqual(alone);
    expect(togetherCounters).toEqual(['1', '1', '2']);
    expect(togetherCounters).toEqual(aloneCounters);
  });

  it('when another instance took a slot meanwhile, hands back the claims made after it and decides as one at a time would', async () => {
    // Another dispatcher takes w-b's only slot after the view was read: the second attempt's
    // claim is refused, and the third's and fourth's were made on a view that assumed it.
    const race = async (redis: MemoryRedis) => void (await redis.set('active:w-b', '1'));
    const { alone, together, aloneCounters, togetherCounters, together_ } = await both(workers, race);
    // at_capacity counts those the view saw full and the slot just lost to the other instance.
    expect(together.map((d) => [d.selected, d.atCapacity])).toEqual([['w-a', 0], ['w-c', 2], ['w-c', 2], [null, 3]]);
    expect(together).toEqual(alone);
    expect(togetherCounters).toEqual(['1', '1', '2']); // w-b's is the other instance's
    expect(togetherCounters).toEqual(aloneCounters);
    // A rollback hands back exactly the slots the unit holds.
    await together_.claims.rolledBack();
    expect(await Promise.all(workers.map((w) => together_.redis.get(`active:${w.workerId}`)))).toEqual(['0', '1', '0']);
  });

  it('names in each record the tie-break rule it ranked by, so a replay orders tied workers as the decision did', async () => {
    // Six workers on the same scores: every place among them is decided by the tie-break.
    const tied = ['w-1', 'w-2', 'w-3', 'w-4', 'w-5', 'w-6'].map((id) => worker(id, 0.8, 4));
    const unit = await setUp(tied, async () => undefined);
    await unit.planner.planMany(unit, attempts, { fresh: true });
    expect(unit.decisions).toHaveLength(4);
    for (const d of unit.decisions) {
      const record = d.record as DecisionRecordedData;
      expect(record.tieBreak).toBe('fmix32-keys');
      expect(record.topK.length).toBeGreaterThan(2);
      expect(replayDecision(record, DEFAULT_POLICY.weights).differences).toEqual([]);
    }
  });

  it('gives decisions, offers and events ids that sort by the time they were made (UUID version 7)', async () => {
    const unit = await setUp(workers, async () => undefined);
    const before = Date.now();
    const events = await unit.planner.planMany(unit, attempts, { fresh: true });
    const values = events.map((e) => e.value as unknown as { eventId: string; type: string; data: { offerId?: string } });
    const offers = values.flatMap((v) => (v.type === 'OfferMade' ? [v.data.offerId!] : []));
    const ids = [...unit.decisions.map((d) => d.decisionId), ...offers, ...values.map((v) => v.eventId)];
    expect(offers).toHaveLength(4);
    expect(ids).toHaveLength(4 + 4 + events.length);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(timeOfId(id)).toBeGreaterThanOrEqual(before);
      expect(timeOfId(id)).toBeLessThanOrEqual(Date.now());
    }
  });

  it('takes who touched a task from its attempts when they bring it, and reads it only for the others', async () => {
    const unit = await setUp(workers, async () => undefined);
    const [first, second] = attempts;
    // task-1's best worker declined it, its second holds it (another replica): the third gets it.
    const touching = { onTask: new Set(['w-b']), declined: new Set(['w-a']) };
    await unit.planner.planMany(unit, [{ ...first, attempt: 2, touching }, { ...second, attempt: 2 }]);
    expect(unit.touchReads).toEqual([['task-2']]);
    const [one, two] = unit.decisions.map((d) => d.record as DecisionRecordedData);
    expect(one.selectedWorkerId).toBe('w-c');
    expect(one.filteredOut).toMatchObject({ declined_before: 1, already_on_task: 1 });
    expect(two.selectedWorkerId).toBe('w-a');
  });

  it('lowers a worker over the queue-share cap below the others, told which members hold a share', async () => {
    // w-a, the best, held every one of the queue's last offers; w-b and w-c none.
    const window = DEFAULT_POLICY.fairness.queueShareWindow;
    const unit = await setUp(workers, async () => undefined, Array.from({ length: window }, () => 'w-a'));
    await unit.planner.planMany(unit, attempts.slice(0, 1), { fresh: true });
    const record = unit.decisions[0].record as DecisionRecordedData;
    expect(record.selectedWorkerId).toBe('w-b');
    expect(record.topK.find((c) => c.workerId === 'w-a')!.adjustments.map((a) => a.kind)).toEqual(['queue_share_cap']);
  });
});
