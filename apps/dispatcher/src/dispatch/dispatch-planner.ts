import { randomUUID } from 'node:crypto';
import { TOPICS, type DecisionRecordedData, type RankedCandidate, type TaskPostedData } from '@clearwork/contracts';
import { contentHash } from '@clearwork/audit-core';
import { decisionDraw, rankCandidates, summariseFiltering, type Candidate, type Ranking } from '@clearwork/matching-core';
import type { OutboxEvent } from '@clearwork/platform';
import type { EntityManager } from 'typeorm';
import type { TaskStore } from '../tasks/task-store';
import type { WorkerRegistry } from '../workers/worker-registry';
import type Redis from 'ioredis';
import type { ActivePolicy, DispatchPolicy } from '../policies/dispatch-policy';
import type { SlotClaims } from './slot-claims';
import { readHotState } from './worker-hot-state';

export interface ReplicaAttempt {
  readonly task: TaskPostedData;
  readonly replica: number;
  readonly attempt: number;
  readonly now: Date;
}

/** What one replica's attempt saw: the policy, the candidates and their ranking. */
export interface Evaluation {
  readonly attempt: ReplicaAttempt;
  readonly policy: ActivePolicy;
  readonly candidates: readonly Candidate[];
  readonly ranking: Ranking;
  readonly inputDigest: string;
}

/** How a batch decision came about: recorded in each of its decisions. */
export interface BatchFacts {
  readonly batchId: string;
  readonly replicas: number;
  readonly assigned: number;
  readonly objective: number;
  readonly greedyObjective: number;
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

  async batchMode(): Promise<boolean> {
    return (await this.policies.current()).document.dispatch.batch.enabled;
  }

  /** Candidates for one replica, filtered and ranked under the current policy; nothing is written. */
  async evaluate(m: EntityManager, a: ReplicaAttempt): Promise<Evaluation> {
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
    const context = { task: { ...task, excludedWorkerIds: task.excludedWorkerIds ?? [] }, onTask, declined };
    const ranking = rankCandidates({
      candidates, context, weights: doc.weights, topK: doc.dispatch.topK,
      fairness: { ...doc.fairness, queueSample: shares.sample, draw: decisionDraw(task.taskId, replica, attempt) },
    });
    const inputDigest = contentHash({ task, replica, attempt, candidates, onTask: [...onTask].sort(), declined: [...declined].sort(), policy: policy.contentHash });
    return { attempt: a, policy, candidates, ranking, inputDigest };
  }

  /** One online attempt: the best-ranked candidate whose capacity slot can be claimed gets the offer. */
  async plan(m: EntityManager, claims: SlotClaims, a: ReplicaAttempt): Promise<PlanResult> {
    const evaluation = await this.evaluate(m, a);
    let lostRaces = 0;
    for (const r of evaluation.ranking.ranked) {
      if (await claims.claim(r.workerId, capacityOf(evaluation, r.workerId))) return this.record(m, evaluation, { selected: r, lostRaces });
      lostRaces++;
    }
    return this.record(m, evaluation, { lostRaces });
  }

  /**
   * Writes the decision record and its outcome — an offer to `selected` (whose slot the caller
   * has claimed) or the waiting state — in the caller's transaction.
   */
  async record(m: EntityManager, e: Evaluation, outcome: { selected?: RankedCandidate; lostRaces: number; batch?: BatchFacts }): Promise<PlanResult> {
    const { task, replica, attempt, now } = e.attempt;
    const { policy, ranking } = e;
    const doc = policy.document;
    const { selected, lostRaces, batch } = outcome;
    const filteredOut = { ...ranking.filteredOut };
    if (lostRaces > 0) filteredOut.at_capacity = (filteredOut.at_capacity ?? 0) + lostRaces;
    const decisionId = randomUUID();
    const summary = summariseFiltering(ranking.poolSize, filteredOut);
    const decision: DecisionRecordedData = {
      decisionId,
      taskId: task.taskId,
      replica,
      attempt,
      decidedAt: now.toISOString(),
      mode: batch ? 'batch' : 'online',
      policy: { version: policy.version, contentHash: policy.contentHash },
      poolSize: ranking.poolSize,
      filteredOut,
      topK: ranking.ranked.slice(0, doc.dispatch.topK),
      selectedWorkerId: selected?.workerId ?? null,
      cutoffScore: selected?.finalScore ?? null,
      inputDigest: e.inputDigest,
      summary: batch
        ? `${summary}; batch ${batch.batchId} of ${batch.replicas} replicas assigned together to maximise the total score (objective ${batch.objective})`
        : summary,
      ...(batch ? { batch } : {}),
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

/** A worker's capacity as the evaluation saw it. */
export function capacityOf(e: Evaluation, workerId: string): number {
  return e.candidates.find((c) => c.workerId === workerId)!.capacity;
}

function withoutQueue<T extends { queue: string }>(o: T): Omit<T, 'queue'> {
  const { queue: _queue, ...rest } = o;
  return rest;
}
