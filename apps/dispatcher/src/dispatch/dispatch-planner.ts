import { createHash } from 'node:crypto';
import { TOPICS, type DecisionRecordedData, type RankedCandidate, type TaskPostedData } from '@clearwork/contracts';
import { contentHash } from '@clearwork/audit-core';
import { baseOrder, decisionDraw, rankCandidates, standingRules, summariseFiltering, type BaseOrder, type Candidate, type Ranking, type RuleRequirements, type StandingRules } from '@clearwork/matching-core';
import { timeOrderedId, type OutboxEvent } from '@clearwork/platform';
import type { EntityManager } from 'typeorm';
import { recordClauses, type NewDecision, type NewOffer, type RecordRows, type ReplicaChange, type TaskStore, type Touching } from '../tasks/task-store';
import { skillKey, type CandidateIndex } from '../workers/candidate-index';
import type Redis from 'ioredis';
import type { ActivePolicy, DispatchPolicy } from '../policies/dispatch-policy';
import type { CapacityLedger } from './capacity-ledger';
import type { SlotClaims } from './slot-claims';
import type { UnitScope } from './dispatch-unit';
import { RecentOffers } from './recent-offers';
import { StandingPools, type Pool } from './standing-pools';
import { HotStateReader } from './worker-hot-state';

export interface ReplicaAttempt {
  readonly task: TaskPostedData;
  readonly replica: number;
  readonly attempt: number;
  readonly now: Date;
}

/** An attempt `planMany` makes: with when its task was posted and how many offers the replica has had, so the policy can give it up. */
export interface PlannedAttempt extends ReplicaAttempt {
  readonly postedAt: string;
  /** Offers made for this replica before (0 for a task posted in this unit). */
  readonly offersMade?: number;
  /** Who touched the task, read in this unit (with the replica's lock); when absent, the view reads it. */
  readonly touching?: Touching;
}

/** What one replica's attempt saw: the policy, the candidates and their ranking. */
export interface Evaluation {
  readonly attempt: ReplicaAttempt;
  readonly policy: ActivePolicy;
  readonly candidates: readonly Candidate[];
  /** Each candidate's place in `candidates`. */
  readonly positions: ReadonlyMap<string, number>;
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
  readonly decisionId: string;
  readonly selectedWorkerId: string | null;
}

/** Kinds of task (skills, languages, qualifications) whose standing rules a dispatcher keeps. */
const MAX_RULE_SETS = 256;

/** Each shared window's digest, made once: units reading an unchanged window share its list. */
const WINDOW_DIGESTS = new WeakMap<readonly string[], string>();

/** Candidates ranked beyond those recorded, for when the best have just been taken elsewhere. */
const RANKED_SPARE = 32;

/** An event the dispatcher publishes, with a new time-ordered id, dated `now`. */
export const envelope = <T extends string, D>(type: T, data: D, now: Date) => ({ eventId: timeOrderedId(), type, occurredAt: now.toISOString(), data });

/**
 * One dispatch attempt for one replica: find candidates through the index, filter and rank them
 * under the policy, take a capacity slot for the best (the next if that slot was just taken
 * elsewhere), and write the decision record and the offer — or the waiting state — in the
 * caller's transaction.
 */
export class DispatchPlanner {
  /** Each unit's view, by the unit's slot claims (one per unit). */
  private readonly views = new WeakMap<SlotClaims, DispatchView>();
  private readonly standing: StandingPools;
  private readonly orders = new BaseOrders();
  private readonly recent: RecentOffers;

  constructor(
    index: CandidateIndex,
    private readonly store: TaskStore,
    redis: Redis,
    ledger: CapacityLedger,
    private readonly policies: DispatchPolicy,
    { hotStateMaxAgeMs }: { hotStateMaxAgeMs?: number } = {},
  ) {
    this.standing = new StandingPools(index, new HotStateReader(redis), ledger, hotStateMaxAgeMs);
    this.recent = new RecentOffers(store);
    // The offers written since each refresh of the index come in its statement.
    index.followOffers(this.recent);
  }

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
    return view.evaluate(a);
  }

  /**
   * What the attempts of one unit need, read once for all of them: each skill set's pool (kept
   * between units and brought up to date, see StandingPools), each queue's recent offers, and
   * who touched each task. `fresh` names tasks posted in this unit, which no worker has touched
   * yet.
   */
  async view(m: EntityManager, policy: ActivePolicy, attempts: readonly ReplicaAttempt[], now: Date, fresh: ReadonlySet<string> = new Set()): Promise<DispatchView> {
    // The index was refreshed before the unit's transaction began (DispatchUnits.run).
    const view = new DispatchView(policy, now, this.orders);
    await this.prepare(m, view, attempts, fresh);
    return view;
  }

  /** The unit's view: made by its first attempts, then extended and kept current by the rest. */
  private async unitViewFor(m: EntityManager, claims: SlotClaims, policy: ActivePolicy, attempts: readonly ReplicaAttempt[], fresh: ReadonlySet<string>): Promise<DispatchView> {
    let view = this.views.get(claims);
    if (!view || view.policy !== policy) {
      view = await this.view(m, policy, attempts, attempts[0].now, fresh);
      this.views.set(claims, view);
      return view;
    }
    await this.prepare(m, view, attempts, fresh);
    return view;
  }

  /** Loads into `view` what `attempts` need and it lacks; who touched a task already seen is read again, unless the attempts bring it. */
  private async prepare(m: EntityManager, view: DispatchView, attempts: readonly (ReplicaAttempt & Pick<PlannedAttempt, 'touching'>)[], fresh: ReadonlySet<string>): Promise<void> {
    const skillSets = attempts.map((a) => a.task.requiredSkills).filter((skills) => !view.hasPool(skills));
    if (skillSets.length > 0) view.addPools(await this.standing.pools(skillSets, view.now, view.policy.document.presence.heartbeatTtlSeconds));
    const queues = [...new Set(attempts.map((a) => a.task.queue))].filter((q) => !view.hasQueue(q));
    for (const [queue, recent] of await this.recent.offerees(m, queues, view.window)) view.addQueue(queue, recent);
    // Who touched a task comes with its attempts when the caller read it with their locks (TaskLifecycle.attemptMany).
    const given = new Map<string, Touching>();
    for (const a of attempts) if (a.touching) given.set(a.task.taskId, a.touching);
    for (const [taskId, t] of given) view.setTouching(taskId, t);
    const touched = [...new Set(attempts.map((a) => a.task.taskId))].filter((id) => !fresh.has(id) && !given.has(id));
    for (const [taskId, t] of await this.store.workersTouchingMany(m, touched)) view.setTouching(taskId, t);
    for (const id of fresh) view.setTouching(id, { onTask: new Set(), declined: new Set() });
  }

  /**
   * Attempts for many replicas in one unit, made one after another as `plan` would make them,
   * but reading what they share once, claiming their slots together and writing their records
   * together: a few round trips for the lot instead of a dozen for each. Each offer is seen by
   * the attempts after it (the worker's slot, the queue's shares, the task's other replicas).
   * `fresh` says the tasks were posted in this unit, so no worker has touched them yet and
   * nothing is read about that. A replica out of attempts, or whose task was posted longer ago
   * than the policy lets it wait, is given up instead (TaskUnassignable).
   *
   * Each attempt picks the best-ranked candidate as if its slot were free (the view says it is),
   * and the slots are claimed in one round trip, in order. When every claim is granted, as with
   * one dispatcher it nearly always is, the outcome is what claiming one at a time would give.
   * When one is refused (another instance took the slot meanwhile), the claims after it were
   * made on a view that assumed it: they are handed back, the view is put back as it was before
   * the refused attempt, and the attempts from there on are made one at a time (`claimBest`).
   *
   * Given `writeAtCommit` (the caller writes and reads nothing more in its unit), the records go
   * in the unit's last statement, with its outbox insert (UnitScope.writeAtCommit); given
   * `collect`, they are handed to it to write (a unit of one statement, see TaskLifecycle.tasksPosted).
   */
  async planMany(
    { m, claims }: Pick<UnitScope, 'm' | 'claims'>,
    attempts: readonly PlannedAttempt[],
    { fresh = false, writeAtCommit, collect }: { fresh?: boolean; writeAtCommit?: UnitScope['writeAtCommit']; collect?: (rows: RecordRows) => void } = {},
  ): Promise<OutboxEvent[]> {
    if (attempts.length === 0) return [];
    const policy = await this.policies.current();
    const view = await this.unitViewFor(m, claims, policy, attempts, fresh ? new Set(attempts.map((a) => a.task.taskId)) : new Set());
    const writes = new RecordWrites();
    const events: OutboxEvent[] = [];
    type Step = { readonly a: ReplicaAttempt; readonly giveUp?: GiveUpReason; evaluation?: Evaluation; selected?: RankedCandidate; undoMark?: number };
    const steps: Step[] = [];
    view.beginTentative();
    for (const a of attempts) {
      const step: Step = { a, giveUp: giveUpReason(a, policy.document.dispatch) };
      steps.push(step);
      if (step.giveUp) continue;
      step.undoMark = view.undoMark();
      step.evaluation = view.evaluate(a);
      step.selected = step.evaluation.ranking.ranked[0];
      if (step.selected) view.offered(a.task.taskId, a.task.queue, step.selected.workerId);
    }
    const wanted = steps.filter((s) => s.selected);
    const granted = await claims.claimMany(wanted.map((s) => ({ workerId: s.selected!.workerId, capacity: capacityOf(s.evaluation!, s.selected!.workerId) })));
    const refusedAt = granted.indexOf(false);
    const refused = refusedAt < 0 ? undefined : wanted[refusedAt];
    if (refused) {
      await claims.giveBack(wanted.slice(refusedAt + 1).filter((_, i) => granted[refusedAt + 1 + i]).map((s) => s.selected!.workerId));
      view.undoTo(refused.undoMark!);
    }
    view.endTentative();
    let oneByOne = false;
    for (const step of steps) {
      const { a } = step;
      if (step.giveUp) {
        writes.replicas.push({ taskId: a.task.taskId, replica: a.replica, state: 'unassignable', attempts: a.attempt });
        events.push({ topic: TOPICS.offers, key: a.task.taskId, value: envelope('TaskUnassignable', { taskId: a.task.taskId, replica: a.replica, reasons: [step.giveUp] }, a.now) });
        continue;
      }
      if (step === refused) oneByOne = true;
      if (!oneByOne) {
        events.push(...this.recordInto(writes, step.evaluation!, { selected: step.selected, lostRaces: 0 }).events);
        continue;
      }
      const { evaluation, selected, lostRaces } = await this.claimBest(view, claims, view.evaluate(a));
      events.push(...this.recordInto(writes, evaluation, { selected, lostRaces }).events);
    }
    if (collect) collect(writes);
    else if (writeAtCommit) writeAtCommit(recordClauses(writes));
    else await writes.flush(m, this.store);
    return events;
  }

  /** One online attempt: the best-ranked candidate whose capacity slot can be claimed gets the offer. */
  async plan(m: EntityManager, claims: SlotClaims, a: ReplicaAttempt): Promise<PlanResult> {
    const view = await this.unitViewFor(m, claims, await this.policies.current(), [a], new Set());
    const { evaluation, selected, lostRaces } = await this.claimBest(view, claims, view.evaluate(a));
    return this.record(m, evaluation, { selected, lostRaces });
  }

  /**
   * Claims a capacity slot for the best-ranked candidate that still has one, going down the
   * ranking. The ranking holds the best few; only when every one of them was taken (by other
   * dispatchers, say) is it extended to everyone eligible.
   */
  private async claimBest(view: DispatchView, claims: SlotClaims, first: Evaluation): Promise<{ evaluation: Evaluation; selected?: RankedCandidate; lostRaces: number }> {
    const { taskId, queue } = first.attempt.task;
    let evaluation = first;
    let lostRaces = 0;
    for (;;) {
      for (const r of evaluation.ranking.ranked.slice(lostRaces)) {
        if (await claims.claim(r.workerId, capacityOf(evaluation, r.workerId))) {
          view.offered(taskId, queue, r.workerId);
          return { evaluation, selected: r, lostRaces };
        }
        lostRaces++;
      }
      if (evaluation.ranking.ranked.length >= evaluation.ranking.eligible) return { evaluation, lostRaces };
      evaluation = view.evaluate(first.attempt, { everyone: true });
    }
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
    const decisionId = timeOrderedId();
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
      tieBreak: ranking.tieBreak,
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
      return { events, decisionId, selectedWorkerId: null };
    }

    const ttl = task.offerTtlSeconds ?? doc.dispatch.offerTtlSeconds;
    const offer = {
      offerId: timeOrderedId(),
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
    return { events, decisionId, selectedWorkerId: selected.workerId };
  }
}

/**
 * What the attempts of one unit see: read once, then kept current as the unit makes offers, so
 * a later attempt sees the slot an earlier one took, the queue's shares it moved, and the
 * replica of the same task it gave that worker.
 *
 * Each decision's input digest commits to everything its ranking used without serialising
 * thousands of candidates per attempt: the digest of its pool as the unit received it (capacity
 * in use and scores included), of its queue's recent offers as loaded, a running hash of the
 * offers the unit made before it, and the task, attempt, policy and who touched the task.
 */
export class DispatchView {
  /** Pools by skill set, as the unit received them (shared with other units: never changed). */
  private readonly pools = new Map<string, Pool>();
  /** Slots this unit's offers took, per worker: added to the pool's counts while an attempt ranks. */
  private readonly offeredTo = new Map<string, number>();
  /** Worker ids of each queue's last offers, newest first. */
  private readonly recent = new Map<string, string[]>();
  private readonly recentDigests = new Map<string, string>();
  private readonly counts = new Map<string, Map<string, number>>();
  private readonly touchingByTask = new Map<string, { onTask: Set<string>; declined: Set<string> }>();
  private offerChain = '';
  /** While offers are made tentatively (DispatchPlanner.planMany): how to undo each, oldest first. */
  private undoLog?: (() => void)[];

  constructor(
    readonly policy: ActivePolicy,
    readonly now: Date,
    private readonly orders = new BaseOrders(),
  ) {}

  get window(): number {
    return this.policy.document.fairness.queueShareWindow;
  }

  hasPool(skills: readonly string[]): boolean {
    return this.pools.has(skillKey(skills));
  }

  /** Adds pools by skill key; a pool the view holds already is kept as it was. */
  addPools(pools: ReadonlyMap<string, Pool>): void {
    for (const [key, pool] of pools) if (!this.pools.has(key)) this.pools.set(key, pool);
  }

  hasQueue(queue: string): boolean {
    return this.recent.has(queue);
  }

  /** `recent` is never changed once given (it is shared between units until its window moves). */
  addQueue(queue: string, recent: readonly string[]): void {
    // A copy: the unit's offers are added to it.
    this.recent.set(queue, recent.slice());
    let digest = WINDOW_DIGESTS.get(recent);
    if (digest === undefined) WINDOW_DIGESTS.set(recent, (digest = contentHash(recent)));
    this.recentDigests.set(queue, digest);
  }

  setTouching(taskId: string, t: { onTask: Set<string>; declined: Set<string> }): void {
    this.touchingByTask.set(taskId, t);
  }

  /**
   * Filters and ranks one replica's candidates as the view sees them; nothing is read or written.
   * The ranking holds the best RANKED_SPARE beyond what the record and a batch need, or everyone
   * eligible when asked.
   */
  evaluate(a: ReplicaAttempt, { everyone = false } = {}): Evaluation {
    const { task, replica, attempt } = a;
    const policy = this.policy;
    const doc = policy.document;
    const key = skillKey(task.requiredSkills);
    const shares = this.shares(task.queue);
    const pool = this.pools.get(key);
    const candidates = (pool?.members ?? []) as readonly MutableCandidate[];
    const positions = pool?.positions ?? new Map<string, number>();
    const { onTask, declined } = this.touching(task.taskId);
    const context = { task: { ...task, excludedWorkerIds: task.excludedWorkerIds ?? [] }, onTask, declined };
    // The pool's members are shared with other units and rest at a queue share of 0: the shares
    // of this queue's recent offerees and this unit's offers are set for the ranking and taken off
    // after, which touches the few workers concerned rather than every member.
    // Members among `counts` (by worker id) with a count above 0: a loop with no garbage per
    // entry, as a unit's offers grow both maps for each attempt after them.
    const inPool = (counts: ReadonlyMap<string, number>) => {
      const found: (readonly [MutableCandidate, number, number])[] = [];
      counts.forEach((n, id) => {
        const at = n > 0 ? positions.get(id) : undefined;
        if (at !== undefined) found.push([candidates[at], n, at]);
      });
      return found;
    };
    // The hard rules as they stand for the pool (read before this unit's offers are added to it),
    // and the members whose facts differ for this attempt, checked afresh.
    const rules = pool && !everyone ? this.orders.rulesOf(key, pool, task) : undefined;
    const sharing = shares.sample > 0 ? inPool(shares.counts) : [];
    const taken = inPool(this.offeredTo);
    const recheck: number[] = taken.map(([, , at]) => at);
    for (const ids of [context.task.excludedWorkerIds, onTask, declined]) {
      for (const id of ids) {
        const at = positions.get(id);
        if (at !== undefined) recheck.push(at);
      }
    }
    for (const [c, n] of sharing) c.queueShare = n / shares.sample;
    for (const [c, n] of taken) c.activeTasks += n;
    let ranking: Ranking;
    try {
      ranking = rankCandidates({
        // The pool of the task's skill set: everyone in it holds them.
        candidates, context, weights: doc.weights, topK: doc.dispatch.topK, skillsHeld: true,
        limit: everyone ? undefined : Math.max(doc.dispatch.topK, doc.dispatch.batch.candidatesPerTask) + RANKED_SPARE,
        standing: pool && !everyone ? this.orders.of(key, pool, policy) : undefined,
        standingRules: rules && { rules, recheck },
        // Only these members hold a share of the queue: the walk reads no one else's.
        sharing: sharing.map(([, , at]) => at),
        fairness: { ...doc.fairness, queueSample: shares.sample, draw: decisionDraw(task.taskId, replica, attempt) },
      });
    } finally {
      for (const [c, n] of taken) c.activeTasks -= n;
      for (const [c] of sharing) c.queueShare = 0;
    }
    const inputDigest = contentHash({
      task, replica, attempt, policy: policy.contentHash,
      pool: pool?.digest ?? null, recentOffers: this.recentDigests.get(task.queue) ?? null, offersBefore: this.offerChain,
      onTask: [...onTask].sort(), declined: [...declined].sort(),
    });
    return { attempt: a, policy, candidates, positions, ranking, inputDigest };
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
    const chain = this.offerChain;
    this.offerChain = createHash('sha256').update(`${this.offerChain}\n${taskId}\t${queue}\t${workerId}`).digest('hex');
    this.offeredTo.set(workerId, (this.offeredTo.get(workerId) ?? 0) + 1);
    const onTask = this.touching(taskId).onTask;
    const wasOnTask = onTask.has(workerId);
    onTask.add(workerId);
    const counts = this.shares(queue).counts;
    const recent = this.recent.get(queue) ?? [];
    this.recent.set(queue, recent);
    recent.unshift(workerId);
    counts.set(workerId, (counts.get(workerId) ?? 0) + 1);
    const dropped = recent.length > this.window ? recent.pop()! : undefined;
    if (dropped !== undefined) counts.set(dropped, counts.get(dropped)! - 1);
    this.undoLog?.push(() => {
      if (dropped !== undefined) {
        recent.push(dropped);
        counts.set(dropped, counts.get(dropped)! + 1);
      }
      recent.shift();
      counts.set(workerId, counts.get(workerId)! - 1);
      if (!wasOnTask) onTask.delete(workerId);
      this.offeredTo.set(workerId, this.offeredTo.get(workerId)! - 1);
      this.offerChain = chain;
    });
  }

  /** From here on `offered` records how to undo itself, until `endTentative`. */
  beginTentative(): void {
    this.undoLog = [];
  }

  /** Where the record of offers made tentatively stands, for `undoTo`. */
  undoMark(): number {
    return this.undoLog?.length ?? 0;
  }

  /** Undoes, newest first, the offers made since `mark`. */
  undoTo(mark: number): void {
    const log = this.undoLog ?? [];
    while (log.length > mark) log.pop()!();
  }

  endTentative(): void {
    this.undoLog = undefined;
  }
}

/**
 * Each pool's base order under the policy (see `baseOrder`), kept between units: a pool changed
 * since (StandingPools hands out a copy) has its order mended from the last one, which scores
 * again only the members replaced, and moves only those whose base score changed.
 */
export class BaseOrders {
  private readonly held = new Map<string, { pool: Pool; policyHash: string; order: BaseOrder }>();
  /** Standing rules by pool and task requirements, the most recently used last. */
  private readonly rules = new Map<string, { pool: Pool; rules: StandingRules }>();

  constructor(private readonly maxRuleSets = MAX_RULE_SETS) {}

  /**
   * The pool's standing rules for tasks with these requirements (see `standingRules`), mended
   * from the last ones made for the same requirements when the pool is a copy of theirs. Kept
   * for the `maxRuleSets` requirements used last.
   */
  rulesOf(key: string, pool: Pool, task: RuleRequirements): StandingRules {
    const sorted = (xs: readonly string[]) => [...xs].sort().join('\t');
    const kind = `${key}\n${sorted(task.languages)}\n${sorted(task.requiredQualifications)}`;
    const held = this.rules.get(kind);
    this.rules.delete(kind);
    let rules = held?.rules;
    if (held?.pool !== pool) {
      const previous = held && held.pool.positions === pool.positions ? { candidates: held.pool.members, rules: held.rules, replaced: pool.replacedSince?.(held.pool) } : undefined;
      rules = standingRules(pool.members, task, { skillsHeld: true, previous });
    }
    this.rules.set(kind, { pool, rules: rules! });
    if (this.rules.size > this.maxRuleSets) this.rules.delete(this.rules.keys().next().value!);
    return rules!;
  }

  of(key: string, pool: Pool, policy: ActivePolicy): BaseOrder {
    const held = this.held.get(key);
    if (held?.pool === pool && held.policyHash === policy.contentHash) return held.order;
    // Copies of a pool keep its members' positions (the same map); a rebuilt pool has its own.
    const previous = held && held.policyHash === policy.contentHash && held.pool.positions === pool.positions ? { candidates: held.pool.members, order: held.order, replaced: pool.replacedSince?.(held.pool) } : undefined;
    const order = baseOrder(pool.members, policy.document.weights, { previous });
    this.held.set(key, { pool, policyHash: policy.contentHash, order });
    return order;
  }
}

/** A candidate as a view holds it: capacity in use and queue share change as the unit goes. */
type MutableCandidate = { -readonly [K in keyof Candidate]: Candidate[K] };

/** Rows a unit's attempts write, gathered so they go in one statement (see TaskStore.writeRecords). */
export class RecordWrites {
  readonly decisions: NewDecision[] = [];
  readonly offers: NewOffer[] = [];
  readonly replicas: ReplicaChange[] = [];

  async flush(m: EntityManager, store: TaskStore): Promise<void> {
    await store.writeRecords(m, this);
  }
}

type GiveUpReason = { code: 'max_attempts'; count: number; text: string } | { code: 'max_wait'; text: string };

/**
 * Why the policy gives a replica up rather than attempting it again, if it does: as many offers
 * made as it allows, or its task posted longer ago than it lets a task wait (a backlog replayed
 * late, say).
 */
function giveUpReason(a: PlannedAttempt, { maxAttempts, maxWaitSeconds }: { maxAttempts: number; maxWaitSeconds: number }): GiveUpReason | undefined {
  const made = a.offersMade ?? 0;
  if (made >= maxAttempts) return { code: 'max_attempts', count: made, text: `${made} offers made; the policy allows ${maxAttempts}` };
  const waitedSeconds = (a.now.getTime() - Date.parse(a.postedAt)) / 1000;
  if (waitedSeconds > maxWaitSeconds) return { code: 'max_wait', text: `waited ${Math.round(waitedSeconds)} s; the policy allows ${maxWaitSeconds} s` };
  return undefined;
}

/** A candidate of the evaluation, by worker id. */
export function candidateIn(e: Evaluation, workerId: string): Candidate {
  return e.candidates[e.positions.get(workerId)!];
}

/** A worker's capacity as the evaluation saw it. */
export function capacityOf(e: Evaluation, workerId: string): number {
  return candidateIn(e, workerId).capacity;
}

function withoutQueue<T extends { queue: string }>(o: T): Omit<T, 'queue'> {
  const { queue: _queue, ...rest } = o;
  return rest;
}
