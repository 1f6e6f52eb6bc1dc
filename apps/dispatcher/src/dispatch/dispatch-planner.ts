import { randomUUID } from 'node:crypto';
import { TOPICS, type DecisionRecordedData, type RankedCandidate, type TaskPostedData } from '@clearwork/contracts';
import { contentHash } from '@clearwork/audit-core';
import { decisionDraw, rankCandidates, summariseFiltering, type Candidate, type Ranking } from '@clearwork/matching-core';
import type { OutboxEvent } from '@clearwork/platform';
import type { EntityManager } from 'typeorm';
import type { NewDecision, NewOffer, ReplicaChange, TaskStore } from '../tasks/task-store';
import type { WorkerRegistry } from '../workers/worker-registry';
import type Redis from 'ioredis';
import type { ActivePolicy, DispatchPolicy } from '../policies/dispatch-policy';
import type { SlotClaims } from './slot-claims';
import { readHotState, type HotState } from './worker-hot-state';

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
    const view = await this.view(m, await this.policies.current(), [a], a.now);
    return this.evaluateIn(view, a);
  }

  /**
   * What the attempts of one unit need from PostgreSQL and Redis, read once for all of them:
   * each skill set's pool, the pool's hot state, each queue's recent offers, and who touched each
   * task. `fresh` names tasks posted in this unit, which no worker has touched yet.
   */
  async view(m: EntityManager, policy: ActivePolicy, attempts: readonly ReplicaAttempt[], now: Date, fresh: ReadonlySet<string> = new Set()): Promise<DispatchView> {
    const doc = policy.document;
    const pools = new Map<string, Omit<Candidate, 'activeTasks' | 'queueShare' | 'qualityEvidence'>[]>();
    const recent = new Map<string, string[]>();
    for (const { task } of attempts) {
      const key = skillKey(task.requiredSkills);
      if (!pools.has(key)) pools.set(key, await this.registry.candidatesFor(m, task.requiredSkills, now, doc.presence.heartbeatTtlSeconds));
      if (!recent.has(task.queue)) recent.set(task.queue, await this.store.recentOfferees(m, task.queue, doc.fairness.queueShareWindow));
    }
    const ids = new Set<string>();
    for (const pool of pools.values()) for (const w of pool) ids.add(w.workerId);
    const hot = await readHotState(this.redis, [...ids]);
    const touched = [...new Set(attempts.map((a) => a.task.taskId))].filter((id) => !fresh.has(id));
    const touching = await this.store.workersTouchingMany(m, touched);
    for (const id of fresh) touching.set(id, { onTask: new Set(), declined: new Set() });
    return new DispatchView(policy, pools, hot, recent, touching, doc.fairness.queueShareWindow);
  }

  /** Filters and ranks one replica's candidates as `view` sees them; nothing is read or written. */
  evaluateIn(view: DispatchView, a: ReplicaAttempt): Evaluation {
    const { task, replica, attempt } = a;
    const policy = view.policy;
    const doc = policy.document;
    const pool = view.pool(task.requiredSkills);
    const shares = view.shares(task.queue);
    const candidates: Candidate[] = pool.map((w) => {
      const cached = view.hot.scores.get(w.workerId);
      const scores = cached ? { quality: cached.quality, latency: cached.latency, availability: cached.availability } : w.scores;
      const qualityEvidence = cached?.qualityEvidence ?? w.scores.qualityEvidence ?? 0;
      const queueShare = shares.sample > 0 ? (shares.counts.get(w.workerId) ?? 0) / shares.sample : 0;
      return { ...w, scores, qualityEvidence, queueShare, activeTasks: view.hot.active.get(w.workerId) ?? 0 };
    });
    const { onTask, declined } = view.touching(task.taskId);
    const context = { task: { ...task, excludedWorkerIds: task.excludedWorkerIds ?? [] }, onTask, declined };
    const ranking = rankCandidates({
      candidates, context, weights: doc.weights, topK: doc.dispatch.topK,
      fairness: { ...doc.fairness, queueSample: shares.sample, draw: decisionDraw(task.taskId, replica, attempt) },
    });
    const inputDigest = contentHash({ task, replica, attempt, candidates, onTask: [...onTask].sort(), declined: [...declined].sort(), policy: policy.contentHash });
    return { attempt: a, policy, candidates, ranking, inputDigest };
  }

  /**
   * First attempts for the replicas of tasks just posted in this unit, made one after another as
   * `plan` would make them, but reading what they share once and writing their records together:
   * a few round trips for the lot instead of a dozen for each. Each offer is seen by the
   * attempts after it (the worker's slot, the queue's shares, the task's other replicas).
   */
  async planFresh({ m, claims }: { m: EntityManager; claims: SlotClaims }, attempts: readonly (ReplicaAttempt & { postedAt: string })[]): Promise<OutboxEvent[]> {
    if (attempts.length === 0) return [];
    const policy = await this.policies.current();
    const { maxWaitSeconds } = policy.document.dispatch;
    const now = attempts[0].now;
    const view = await this.view(m, policy, attempts, now, new Set(attempts.map((a) => a.task.taskId)));
    const writes = new RecordWrites();
    const events: OutboxEvent[] = [];
    for (const a of attempts) {
      const waitedSeconds = (a.now.getTime() - Date.parse(a.postedAt)) / 1000;
      if (waitedSeconds > maxWaitSeconds) {
        // Posted longer ago than the policy lets a task wait (a backlog replayed late): given up at once.
        writes.replicas.push({ taskId: a.task.taskId, replica: a.replica, state: 'unassignable', attempts: a.attempt });
        const reasons = [{ code: 'max_wait', text: `waited ${Math.round(waitedSeconds)} s; the policy allows ${maxWaitSeconds} s` }];
        events.push({ topic: TOPICS.offers, key: a.task.taskId, value: envelope('TaskUnassignable', { taskId: a.task.taskId, replica: a.replica, reasons }, a.now) });
        continue;
      }
      const evaluation = this.evaluateIn(view, a);
      let lostRaces = 0;
      let selected: RankedCandidate | undefined;
      for (const r of evaluation.ranking.ranked) {
        if (await claims.claim(r.workerId, capacityOf(evaluation, r.workerId))) {
          selected = r;
          break;
        }
        lostRaces++;
      }
      if (selected) view.offered(a.task.taskId, a.task.queue, selected.workerId);
      events.push(...this.recordInto(writes, evaluation, { selected, lostRaces }).events);
    }
    await writes.flush(m, this.store);
    return events;
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
    const writes = new RecordWrites();
    const result = this.recordInto(writes, e, outcome);
    await writes.flush(m, this.store);
    return result;
  }

  /** The decision record and its outcome as rows to write and events to publish. */
  private recordInto(writes: RecordWrites, e: Evaluation, outcome: { selected?: RankedCandidate; lostRaces: number; batch?: BatchFacts }): PlanResult {
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
    writes.decisions.push({ decisionId, taskId: task.taskId, replica, attempt, decidedAt: decision.decidedAt, record: decision });
    const events: OutboxEvent[] = [{ topic: TOPICS.decisions, key: task.taskId, value: envelope('DecisionRecorded', decision, now) }];

    if (!selected) {
      const reasons = Object.entries(filteredOut).map(([code, count]) => ({ code, count }));
      if (ranking.poolSize === 0) reasons.push({ code: 'no_workers_with_skills', count: 0 });
      writes.replicas.push({ taskId: task.taskId, replica, state: 'waiting', attempts: attempt });
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
    writes.offers.push(offer);
    writes.replicas.push({ taskId: task.taskId, replica, state: 'offered', attempts: attempt, workerId: selected.workerId });
    events.push({
      topic: TOPICS.offers,
      key: task.taskId,
      value: envelope('OfferMade', { ...withoutQueue(offer), payCents: task.payCents, currency: task.currency }, now),
    });
    return { events, selectedWorkerId: selected.workerId };
  }
}

/**
 * What the attempts of one unit see: read once, then kept current as the unit makes offers, so
 * a later attempt sees the slot an earlier one took, the queue's shares it moved, and the
 * replica of the same task it gave that worker.
 */
export class DispatchView {
  private readonly counts = new Map<string, Map<string, number>>();

  constructor(
    readonly policy: ActivePolicy,
    private readonly pools: ReadonlyMap<string, readonly Omit<Candidate, 'activeTasks' | 'queueShare' | 'qualityEvidence'>[]>,
    readonly hot: HotState,
    /** Worker ids of each queue's last offers, newest first. */
    private readonly recent: Map<string, string[]>,
    private readonly touchingByTask: Map<string, { onTask: Set<string>; declined: Set<string> }>,
    private readonly window: number,
  ) {}

  pool(skills: readonly string[]): readonly Omit<Candidate, 'activeTasks' | 'queueShare' | 'qualityEvidence'>[] {
    return this.pools.get(skillKey(skills)) ?? [];
  }

  /** Each worker's count among the queue's last `window` offers, and how many offers that window holds. */
  shares(queue: string): { sample: number; counts: Map<string, number> } {
    const recent = this.recent.get(queue) ?? [];
    let counts = this.counts.get(queue);
    if (!counts) {
      counts = new Map();
      for (const w of recent) counts.set(w, (counts.get(w) ?? 0) + 1);
      this.counts.set(queue, counts);
    }
    return { sample: recent.length, counts };
  }

  touching(taskId: string): { onTask: Set<string>; declined: Set<string> } {
    let t = this.touchingByTask.get(taskId);
    if (!t) this.touchingByTask.set(taskId, (t = { onTask: new Set(), declined: new Set() }));
    return t;
  }

  /** An offer was made in this unit: the worker holds one more task, and it counts in the queue's window. */
  offered(taskId: string, queue: string, workerId: string): void {
    this.hot.active.set(workerId, (this.hot.active.get(workerId) ?? 0) + 1);
    this.touching(taskId).onTask.add(workerId);
    const counts = this.shares(queue).counts;
    const recent = this.recent.get(queue) ?? [];
    this.recent.set(queue, recent);
    recent.unshift(workerId);
    counts.set(workerId, (counts.get(workerId) ?? 0) + 1);
    if (recent.length > this.window) {
      const dropped = recent.pop()!;
      counts.set(dropped, counts.get(dropped)! - 1);
    }
  }
}

/** Rows a unit's attempts write, gathered so each table gets one statement. */
export class RecordWrites {
  readonly decisions: NewDecision[] = [];
  readonly offers: NewOffer[] = [];
  readonly replicas: ReplicaChange[] = [];

  async flush(m: EntityManager, store: TaskStore): Promise<void> {
    await store.insertDecisions(m, this.decisions);
    await store.insertOffers(m, this.offers);
    await store.setReplicas(m, this.replicas);
  }
}

function skillKey(skills: readonly string[]): string {
  return JSON.stringify([...skills].sort());
}

/** A worker's capacity as the evaluation saw it. */
export function capacityOf(e: Evaluation, workerId: string): number {
  return e.candidates.find((c) => c.workerId === workerId)!.capacity;
}

function withoutQueue<T extends { queue: string }>(o: T): Omit<T, 'queue'> {
  const { queue: _queue, ...rest } = o;
  return rest;
}
