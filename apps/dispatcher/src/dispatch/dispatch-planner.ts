import { randomUUID } from 'node:crypto';
import { TOPICS, type DecisionRecordedData, type TaskPostedData } from '@clearwork/contracts';
import { contentHash } from '@clearwork/audit-core';
import { decisionDraw, rankCandidates, summariseFiltering, type Candidate } from '@clearwork/matching-core';
import type { OutboxEvent } from '@clearwork/platform';
import type { EntityManager } from 'typeorm';
import type { TaskStore } from '../tasks/task-store';
import type { WorkerRegistry } from '../workers/worker-registry';
import type Redis from 'ioredis';
import type { DispatchPolicy } from '../policies/dispatch-policy';
import type { SlotClaims } from './slot-claims';
import { readHotState } from './worker-hot-state';

export interface ReplicaAttempt {
  readonly task: TaskPostedData;
  readonly replica: number;
  readonly attempt: number;
  readonly now: Date;
}

export interface PlanResult {
  readonly events: OutboxEvent[];
  readonly selectedWorkerId: string | null;
}

const envelope = <T extends string, D>(type: T, data: D, now: Date) => ({ eventId: randomUUID(), type, occurredAt: now.toISOString(), data });

/**
 * One dispatch attempt for one replica: find candidates through the index, filter and rank them
 * under the policy, take a capacity slot for the best (the next if that slot was just taken
 * elsewhere), and write the decision record and the offer — or the waiting state — in the
 * caller's transaction.
 */
export class DispatchPlanner {
  constructor(
    private readonly registry: WorkerRegistry,
    private readonly store: TaskStore,
    private readonly redis: Redis,
    private readonly policies: DispatchPolicy,
  ) {}

  /** When to give up on a replica, under the current policy. */
  async limits(): Promise<{ maxAttempts: number; maxWaitSeconds: number }> {
    const { dispatch } = (await this.policies.current()).document;
    return { maxAttempts: dispatch.maxAttempts, maxWaitSeconds: dispatch.maxWaitSeconds };
  }

  async plan(m: EntityManager, claims: SlotClaims, a: ReplicaAttempt): Promise<PlanResult> {
    const { task, replica, attempt, now } = a;
    const policy = await this.policies.current();
    const doc = policy.document;
    const pool = await this.registry.candidatesFor(m, task.requiredSkills, now, doc.presence.heartbeatTtlSeconds);
    const hot = await readHotState(this.redis, pool.map((w) => w.workerId));
    const shares = await this.store.queueShares(m, task.queue, doc.fairness.queueShareWindow);
    const candidates: Candidate[] = pool.map((w) => {
      const cached = hot.scores.get(w.workerId);
      const scores = cached ? { quality: cached.quality, latency: cached.latency, availability: cached.availability } : w.scores;
      const qualityEvidence = cached?.qualityEvidence ?? w.scores.qualityEvidence ?? 0;
      const queueShare = shares.sample > 0 ? (shares.counts.get(w.workerId) ?? 0) / shares.sample : 0;
      return { ...w, scores, qualityEvidence, queueShare, activeTasks: hot.active.get(w.workerId) ?? 0 };
    });
    const { onTask, declined } = await this.store.workersTouching(m, task.taskId);
    const context = {
      task: { ...task, excludedWorkerIds: task.excludedWorkerIds ?? [] },
      onTask,
      declined,
    };
    const ranking = rankCandidates({
      candidates, context, weights: doc.weights, topK: doc.dispatch.topK,
      fairness: { ...doc.fairness, queueSample: shares.sample, draw: decisionDraw(task.taskId, replica, attempt) },
    });

    let selected: (typeof ranking.ranked)[number] | undefined;
    let lostRaces = 0;
    for (const r of ranking.ranked) {
      const capacity = pool.find((w) => w.workerId === r.workerId)!.capacity;
      if (await claims.claim(r.workerId, capacity)) {
        selected = r;
        break;
      }
      lostRaces++;
    }
    const filteredOut = { ...ranking.filteredOut };
    if (lostRaces > 0) filteredOut.at_capacity = (filteredOut.at_capacity ?? 0) + lostRaces;

    const decisionId = randomUUID();
    const decision: DecisionRecordedData = {
      decisionId,
      taskId: task.taskId,
      replica,
      attempt,
      decidedAt: now.toISOString(),
      mode: 'online',
      policy: { version: policy.version, contentHash: policy.contentHash },
      poolSize: ranking.poolSize,
      filteredOut,
      topK: ranking.ranked.slice(0, doc.dispatch.topK),
      selectedWorkerId: selected?.workerId ?? null,
      cutoffScore: selected?.finalScore ?? null,
      inputDigest: contentHash({ task, replica, attempt, candidates, onTask: [...onTask].sort(), declined: [...declined].sort(), policy: policy.contentHash }),
      summary: summariseFiltering(ranking.poolSize, filteredOut),
    };
    await this.store.insertDecision(m, { decisionId, taskId: task.taskId, replica, attempt, decidedAt: decision.decidedAt, record: decision });
    const events: OutboxEvent[] = [{ topic: TOPICS.decisions, key: task.taskId, value: envelope('DecisionRecorded', decision, now) }];

    if (!selected) {
      const reasons = Object.entries(filteredOut).map(([code, count]) => ({ code, count }));
      if (ranking.poolSize === 0) reasons.push({ code: 'no_workers_with_skills', count: 0 });
      await this.store.setReplica(m, task.taskId, replica, 'waiting', { attempts: attempt });
      events.push({ topic: TOPICS.offers, key: task.taskId, value: envelope('TaskWaiting', { taskId: task.taskId, replica, reasons }, now) });
      return { events, selectedWorkerId: null };
    }

    const ttl = task.offerTtlSeconds ?? doc.dispatch.offerTtlSeconds;
    const offer = {
      offerId: randomUUID(),
      taskId: task.taskId,
      queue: task.queue,
      replica,
      attempt,
      workerId: selected.workerId,
      decisionId,
      expiresAt: new Date(now.getTime() + ttl * 1000).toISOString(),
    };
    await this.store.insertOffer(m, offer);
    await this.store.setReplica(m, task.taskId, replica, 'offered', { attempts: attempt, workerId: selected.workerId });
    events.push({
      topic: TOPICS.offers,
      key: task.taskId,
      value: envelope('OfferMade', { ...withoutQueue(offer), payCents: task.payCents, currency: task.currency }, now),
    });
    return { events, selectedWorkerId: selected.workerId };
  }
}

function withoutQueue<T extends { queue: string }>(o: T): Omit<T, 'queue'> {
  const { queue: _queue, ...rest } = o;
  return rest;
}
