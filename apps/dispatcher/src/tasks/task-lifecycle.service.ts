import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { TOPICS, type OfferAccepted, type OfferDeclined, type TaskAbandoned, type TaskCancelled, type TaskEvent, type TaskPosted, type TaskSubmitted } from '@clearwork/contracts';
import { claimEvent, claimEvents, DeadLetterError, handledEvents, type BatchedEvent, type BatchRejection, type OutboxEvent } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import { SCHEMA } from '../config';
import { DispatchPlanner, envelope, type PlannedAttempt } from '../dispatch/dispatch-planner';
import { DispatchUnits, type UnitScope } from '../dispatch/dispatch-unit';
import { DispatcherMetrics } from '../dispatcher-metrics';
import { ReattemptQueue, type BetweenOffers } from './reattempt-queue';
import { TaskStore, type OpenOffer, type RecordRows } from './task-store';

/** How often replicas left between two offers are looked for (see TaskLifecycle.reattemptBetweenOffers). */
export const BETWEEN_OFFERS_SWEEP_SECONDS = 5;

/** Waiting replicas attempted again in one unit at most, so a burst of freed workers cannot make a unit long. */
const MAX_REDISPATCH_PER_UNIT = 50;

/** Declined replicas attempted again in one unit at most (see ReattemptQueue). */
const MAX_REATTEMPTS_PER_UNIT = 50;

/** Tasks posted in one unit at most: a longer run is split, so each transaction stays short. */
const MAX_POSTED_PER_UNIT = 200;

/**
 * An answer refused for good (an offer that is not open, or not this worker's): nothing of it is
 * applied and it is not recorded as handled, so a redelivery is refused again. Returned rather
 * than thrown, so the other events of its unit still land in it: a throw rolled back the whole
 * unit, and its events were then applied one unit each (with a backlog, late answers to expired
 * offers turned every unit of 200 events into 200 units, and the backlog grew).
 */
export interface RefusedAnswer {
  readonly event: OfferAccepted | OfferDeclined;
  readonly error: DeadLetterError;
}

/**
 * The life of a task: posted, offered, accepted or declined or expired, offered again,
 * assigned, waiting, unassignable or cancelled. Every step happens in a unit of work (one
 * transaction); the `…In` forms run inside a unit the caller holds, so a batch of events can
 * share one.
 */
@Injectable()
export class TaskLifecycle implements BeforeApplicationShutdown {
  private readonly log = new Logger(TaskLifecycle.name);
  private readonly reattempts = new ReattemptQueue(
    (replicas) => this.reattempt(replicas),
    (error, count) => this.log.warn(`${count} declined replicas not yet offered again (${error.message}); the next sweep, within ${BETWEEN_OFFERS_SWEEP_SECONDS} s, attempts them`),
    MAX_REATTEMPTS_PER_UNIT,
  );

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DispatchUnits) private readonly units: DispatchUnits,
    @Inject(TaskStore) private readonly store: TaskStore,
    @Inject(DispatchPlanner) private readonly planner: DispatchPlanner,
    @Inject(DispatcherMetrics) private readonly metrics: DispatcherMetrics,
  ) {}

  /** Runs `work` as one unit: one transaction, its capacity claims, its events through the outbox (see DispatchUnits.run). */
  unit<T>(work: (scope: UnitScope) => Promise<T>, options: { index?: boolean } = {}): Promise<T> {
    return this.units.run(work, options);
  }

  /**
   * A fetched batch of `gig.tasks.v1`, in order: each run of TaskPosted is one unit (see
   * `tasksPosted`), each TaskCancelled its own. Returns the events refused for good.
   */
  async taskEvents(batch: readonly BatchedEvent<TaskEvent>[]): Promise<BatchRejection[]> {
    const rejections: BatchRejection[] = [];
    let run: BatchedEvent<TaskPosted>[] = [];
    const postRun = async () => {
      if (run.length > 0) rejections.push(...(await this.tasksPosted(run)));
      run = [];
    };
    for (const item of batch) {
      if (item.event.type === 'TaskPosted') {
        run.push(item as BatchedEvent<TaskPosted>);
        if (run.length >= MAX_POSTED_PER_UNIT) await postRun();
        continue;
      }
      await postRun();
      try {
        await this.taskCancelled(item.event);
      } catch (error) {
        if (!(error instanceof DeadLetterError)) throw error;
        rejections.push({ item, error });
      }
    }
    await postRun();
    return rejections;
  }

  /**
   * Tasks posted, in one statement with their first attempts (see TaskStore.postTasks and
   * DispatchUnits.runAsStatement): each new task is stored and its replicas get their first
   * attempts (or wait for the next batch, in batch mode). The attempts are planned before the
   * statement finds out which tasks are new, as if all were (they nearly always are); what it
   * planned for the others is not written and their slots are handed back. A redelivered event
   * has no effect; one that posts a task id posted before by another event is refused, and not
   * recorded as handled, so a redelivery is refused again.
   */
  async tasksPosted(items: readonly BatchedEvent<TaskPosted>[], now = new Date()): Promise<BatchRejection[]> {
    // Each event id at its first place, then the first event of each task id: the tasks to plan.
    const seen = new Set<string>();
    const distinct: BatchedEvent<TaskPosted>[] = [];
    const firsts = new Map<string, TaskPosted>();
    for (const item of items) {
      const eventId = item.event.eventId.toLowerCase();
      if (seen.has(eventId)) continue;
      seen.add(eventId);
      distinct.push(item);
      if (!firsts.has(item.event.data.taskId)) firsts.set(item.event.data.taskId, item.event);
    }
    const posted = await this.units.runAsStatement(async (scope) => {
      let rows: RecordRows = { decisions: [], offers: [], replicas: [] };
      let events: OutboxEvent[] = [];
      if (!(await this.planner.batchMode())) {
        const attempts = [];
        for (const event of firsts.values()) {
          for (let replica = 1; replica <= event.data.replicas; replica++) attempts.push({ task: event.data, replica, attempt: 1, now, postedAt: event.occurredAt });
        }
        events = await this.planner.planMany(scope, attempts, { fresh: true, collect: (planned) => (rows = planned) });
      }
      return {
        write: async (m) => {
          const result = await this.store.postTasks(m, distinct.map((i) => i.event), rows, events);
          const written = events.filter((e) => result.inserted.has(e.key));
          const enqueued = written.map((e, i) => ({ ...e, id: result.outboxIds[i] }));
          // Slots claimed for tasks the statement did not store (stored before, or redelivered).
          const unused = rows.offers.filter((o) => !result.inserted.has(o.taskId)).map((o) => o.workerId);
          return { enqueued, unused, result };
        },
      };
    });
    const rejections: BatchRejection[] = [];
    for (const item of distinct) {
      const eventId = item.event.eventId.toLowerCase();
      if (!posted.prior.has(eventId) && !posted.claimed.has(eventId)) rejections.push({ item, error: postedTwice(item.event.data.taskId) });
    }
    if (rejections.length === 0) return rejections;
    // Rare: an event seen as new that stored nothing may have been handled meanwhile by another
    // instance (its task insert waited for that one's); only the others posted a task id twice.
    const handledElsewhere = await handledEvents(this.dataSource.manager, SCHEMA, rejections.map((r) => (r.item.event as TaskPosted).eventId));
    return rejections.filter((r) => !handledElsewhere.has((r.item.event as TaskPosted).eventId.toLowerCase()));
  }

  async taskCancelled(event: TaskCancelled, now = new Date()): Promise<void> {
    await this.unit(async ({ m, claims, emit }) => {
      if (!(await claimEvent(m, SCHEMA, event.eventId, event.type))) return;
      const replicas = await this.store.lockReplicas(m, event.data.taskId);
      if (replicas.length === 0) throw new DeadLetterError(`task ${event.data.taskId} is unknown`);
      for (const offer of await this.store.openOffersOf(m, event.data.taskId)) {
        await this.store.closeOffer(m, offer.offerId, 'withdrawn');
        claims.releaseAfterCommit(offer.workerId);
        emit([{ topic: TOPICS.offers, key: offer.taskId, value: envelope('OfferWithdrawn', { ...pick(offer), reason: 'task_cancelled' }, now) }]);
      }
      for (const r of replicas) {
        if (r.state === 'assigned' && r.workerId && (await this.store.finishAssignment(m, event.data.taskId, r.workerId, 'cancelled')) !== undefined) {
          claims.releaseAfterCommit(r.workerId);
        }
        if (r.state !== 'unassignable') await this.store.setReplica(m, event.data.taskId, r.replica, 'cancelled');
      }
    }, { index: false });
  }

  /**
   * Acceptances and submissions, in the caller's unit, in two statements for the lot (the
   * offers closed and the events claimed; the assignments made and ended), a third when the lot
   * accepts and submits the same assignment: each accepted offer becomes an assignment, each
   * submitted assignment ends and frees the worker's slot. The caller keeps a submission out of
   * a run that accepts the same task for the same worker later, so each is judged as it came. An
   * acceptance of an offer that is not open (or not this worker's) is refused (see
   * RefusedAnswer), as it would be alone. Returns the workers whose slots were freed, and the
   * refused.
   */
  async answersIn({ m, emit, claims }: UnitScope, events: readonly (OfferAccepted | TaskSubmitted)[], now: Date): Promise<{ freed: string[]; refused: RefusedAnswer[] }> {
    const submissions = events.filter((e): e is TaskSubmitted => e.type === 'TaskSubmitted');
    const { closed: accepted, refused, claimed } = await this.closeAnswered(m, events.filter((e): e is OfferAccepted => e.type === 'OfferAccepted'), 'accepted', now, submissions);
    emit(accepted.map((o) => ({
      topic: TOPICS.offers, key: o.taskId, value: envelope('TaskAssigned', { taskId: o.taskId, workerId: o.workerId, offerId: o.offerId, replica: o.replica }, now),
    })));
    const ends = new Map<string, { taskId: string; workerId: string }>();
    for (const e of submissions) if (claimed.has(e.eventId.toLowerCase())) ends.set(`${e.data.taskId}\t${e.data.workerId}`, e.data);
    // Assignments made and ended in one statement, except those accepted and submitted in this run: ended in a second, once made.
    const acceptedNow = new Set(accepted.map((o) => `${o.taskId}\t${o.workerId}`));
    const endNow = [...ends].filter(([key]) => !acceptedNow.has(key)).map(([, end]) => end);
    const endAfter = [...ends].filter(([key]) => acceptedNow.has(key)).map(([, end]) => end);
    const finished = await this.store.assignAndFinish(m, accepted, endNow, 'submitted');
    for (const [key, replica] of await this.store.finishAssignments(m, endAfter, 'submitted')) finished.set(key, replica);
    const freed = [...finished.keys()].map((key) => ends.get(key)!.workerId);
    for (const workerId of freed) claims.releaseAfterCommit(workerId);
    return { freed, refused };
  }

  /**
   * Declined offers, in the caller's unit, a statement per table for the lot: each frees the
   * worker's slot, and once the unit commits its replica goes to the next candidate in a unit of
   * its own (see ReattemptQueue), so the caller's unit ranks nothing. Until then the replica is
   * `offered` with no open offer; should this process stop first, the sweep attempts it
   * (`reattemptBetweenOffers`). A decline of an offer that is not open (or not this worker's) is
   * refused (see RefusedAnswer), as it would be alone. Returns the workers whose slots were freed,
   * so the waiting tasks they could do are dispatched again, and the refused.
   */
  async offersDeclinedIn(scope: UnitScope, events: readonly OfferDeclined[], now: Date): Promise<{ freed: string[]; refused: RefusedAnswer[] }> {
    const { closed: declined, refused } = await this.closeAnswered(scope.m, events, 'declined', now);
    for (const o of declined) scope.claims.releaseAfterCommit(o.workerId);
    if (declined.length > 0) {
      scope.afterCommit(() => {
        this.metrics.offersClosed('declined', declined.length);
        this.reattempts.add(declined.map((o) => ({ taskId: o.taskId, replica: o.replica, offeredAt: o.attempt })));
      });
    }
    return { freed: declined.map((o) => o.workerId), refused };
  }

  /**
   * Attempts again, in one unit, replicas that are `offered` with no open offer: their offers
   * were declined and this process stopped (or its unit failed) before offering them again. Left
   * to the queue are those it holds. Runs every BETWEEN_OFFERS_SWEEP_SECONDS (see OfferExpiry);
   * costs one read of the replicas out on offer. Returns how many it found.
   */
  async reattemptBetweenOffers(limit = 100): Promise<number> {
    const found = (await this.store.replicasBetweenOffers(this.dataSource.manager, limit)).filter((r) => !this.reattempts.has(r));
    if (found.length > 0) await this.reattempt(found);
    return found.length;
  }

  /** Finishes the declined replicas' attempts already queued, so a stop leaves none to the sweep. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.reattempts.idle();
  }

  /**
   * An abandoned task frees the worker's slot and goes back to be offered to someone else.
   * Returns the worker whose slot was freed, if any.
   */
  async abandonedIn(scope: UnitScope, event: TaskAbandoned, now: Date): Promise<string | undefined> {
    if (!(await claimEvent(scope.m, SCHEMA, event.eventId, event.type))) return undefined;
    const { taskId, workerId } = event.data;
    const replica = await this.store.finishAssignment(scope.m, taskId, workerId, 'abandoned');
    if (replica === undefined) return undefined;
    scope.claims.releaseAfterCommit(workerId);
    await this.store.setReplica(scope.m, taskId, replica, 'waiting', { workerId: null });
    await this.attemptMany(scope, [{ taskId, replica }], now);
    return workerId;
  }

  /**
   * Expires due offers and offers those replicas to the next candidate; returns how many expired.
   * The freed slots count only once committed, so a replica re-offered in the same sweep cannot
   * use a slot another expiry in it frees (two offers crossing between two workers, say, after a
   * restart finds both overdue). Each freed worker then gets the waiting tasks they could do, as
   * when a worker frees a slot any other way.
   */
  async expireDueOffers(now = new Date(), limit = 100): Promise<number> {
    const freed = new Set<string>();
    const expired = await this.unit(async (scope) => {
      freed.clear(); // the unit may run again after a conflict
      const due = await this.store.lockDueOffers(scope.m, now, limit);
      await this.store.closeOffers(scope.m, due.map((o) => o.offerId), 'expired');
      for (const offer of due) {
        scope.claims.releaseAfterCommit(offer.workerId);
        freed.add(offer.workerId);
        scope.emit([{ topic: TOPICS.offers, key: offer.taskId, value: envelope('OfferExpired', { ...pick(offer), reason: 'ttl_elapsed' }, now) }]);
      }
      await this.attemptMany(scope, due, now, { last: true });
      return due.length;
    });
    await this.redispatchWaitingForMany([...freed], now);
    return expired;
  }

  /** Replicas between two offers attempted again in one unit; each only if still at the attempt given (see TaskStore.lockForAttempts). */
  private async reattempt(replicas: readonly BetweenOffers[]): Promise<void> {
    await this.unit((scope) => this.attemptMany(scope, replicas, new Date(), { last: true }));
  }

  /** Gives up on replicas that have waited longer than the policy allows; returns how many. Costs one indexed read when nothing waits. */
  async expireOverdueWaiting(now = new Date(), limit = 100): Promise<number> {
    if (!(await this.store.anyWaiting(this.dataSource.manager))) return 0;
    const { maxWaitSeconds } = await this.planner.limits();
    return this.unit(async (scope) => {
      const overdue = await this.store.lockOverdueWaiting(scope.m, new Date(now.getTime() - maxWaitSeconds * 1000), limit);
      await this.attemptMany(scope, overdue, now, { last: true });
      return overdue.length;
    });
  }

  /**
   * When workers come online or free slots, waiting tasks they could do are dispatched again:
   * the waiting replicas any of them could be offered, highest priority and oldest first, as many
   * as their capacities add up to (more could not all go to them, and each attempt records a
   * decision), at most MAX_REDISPATCH_PER_UNIT a unit. When nothing waits, as under normal load,
   * it costs one indexed read.
   */
  async redispatchWaitingForMany(workerIds: readonly string[], now = new Date()): Promise<void> {
    if (workerIds.length === 0 || !(await this.store.anyWaiting(this.dataSource.manager))) return;
    for (let i = 0; i < workerIds.length; i += MAX_REDISPATCH_PER_UNIT) {
      const some = workerIds.slice(i, i + MAX_REDISPATCH_PER_UNIT);
      await this.unit(async (scope) => this.attemptMany(scope, await this.store.lockWaitingForAny(scope.m, some, MAX_REDISPATCH_PER_UNIT), now, { last: true }));
    }
  }

  /** Dispatches waiting tasks again, highest priority and oldest first (after capacity was rebuilt, say). */
  async redispatchWaiting(now = new Date(), limit = 100): Promise<void> {
    await this.unit(async (scope) => this.attemptMany(scope, await this.store.lockWaiting(scope.m, limit), now, { last: true }));
  }

  async nextExpiry(): Promise<Date | undefined> {
    return this.store.nextExpiry(this.dataSource.manager);
  }

  /**
   * Closes the offers these answers name and claims the answers' events, in one statement for
   * the lot (TaskStore.closeAnsweredOffers), `others` (submissions) claimed with them: an answer
   * handled before is passed over; each other answer whose offer is open, unexpired and was made
   * to that worker for that task closes it as `state` and is claimed; the rest are refused (see
   * RefusedAnswer), as they would be alone, and not claimed. Answers that name an offer named
   * earlier in the lot go in a statement after, so a second answer to one offer finds it as the
   * first left it. Returns the offers closed, the refused, and which of `others` were claimed
   * (lower case); without answers, `others` are claimed alone.
   */
  private async closeAnswered(
    m: UnitScope['m'],
    answers: readonly (OfferAccepted | OfferDeclined)[],
    state: 'accepted' | 'declined',
    now: Date,
    others: readonly TaskSubmitted[] = [],
  ): Promise<{ closed: OpenOffer[]; refused: RefusedAnswer[]; claimed: Set<string> }> {
    const closed: OpenOffer[] = [];
    let refused: RefusedAnswer[] = [];
    if (answers.length === 0) return { closed, refused, claimed: await claimEvents(m, SCHEMA, others) };
    let claimed = new Set<string>();
    /** The state each offer was found in, of those this lot did not close. */
    const closedAs = new Map<string, string>();
    for (let start = 0; start < answers.length; ) {
      const named = new Set<string>();
      let end = start;
      while (end < answers.length && !named.has(answers[end].data.offerId)) named.add(answers[end++].data.offerId);
      const run = answers.slice(start, end);
      const result = await this.store.closeAnsweredOffers(m, run.map((e) => ({ ...e.data, eventId: e.eventId, type: e.type })), state, now, start === 0 ? others : []);
      if (start === 0) claimed = result.claimed;
      for (const [offerId, offer] of result.found) if (!result.closed.has(offerId)) closedAs.set(offerId, offer.state);
      start = end;
      for (const event of run) {
        if (result.prior.has(event.eventId.toLowerCase())) continue;
        const before = result.found.get(event.data.offerId);
        if (before && result.closed.has(event.data.offerId)) {
          closed.push(before);
          continue;
        }
        const offer = openOffer(before, event.data, now);
        refused.push({ event, error: offer instanceof DeadLetterError ? offer : new DeadLetterError(`offer ${event.data.offerId} is no longer open`) });
      }
    }
    // Rare: another instance handled the same event meanwhile (its claim committed after this
    // statement began, its close seen once the lock was had): passed over, not refused. Only an
    // offer found closed as this answer would close it can be that; late answers to expired
    // offers, the common refusal under load, cost no read.
    const maybeHandled = refused.filter((r) => closedAs.get(r.event.data.offerId) === state);
    if (maybeHandled.length > 0) {
      const handled = await handledEvents(m, SCHEMA, maybeHandled.map((r) => r.event.eventId));
      refused = refused.filter((r) => !handled.has(r.event.eventId.toLowerCase()));
    }
    return { closed, refused, claimed };
  }

  /**
   * The next attempts for these replicas, together (see DispatchPlanner.planMany, which gives up
   * those the policy allows no more): a replica that no longer needs one (cancelled, assigned,
   * given up), or given with `offeredAt` and no longer at that offer, is left alone. Reads and writes a few statements for the lot; with `last` (the
   * caller does nothing more in its unit) the writes go with the unit's outbox insert.
   */
  private async attemptMany(scope: UnitScope, replicas: readonly { taskId: string; replica: number; offeredAt?: number }[], now: Date, { last = false } = {}): Promise<void> {
    const unique = new Map(replicas.map((r) => [`${r.taskId}\t${r.replica}`, r]));
    // Locked in (task, replica) order; attempted in the order given (priority first, say).
    const position = new Map([...unique.keys()].map((key, i) => [key, i]));
    const at = (r: { taskId: string; replica: number }) => position.get(`${r.taskId}\t${r.replica}`)!;
    const rows = (await this.store.lockForAttempts(scope.m, [...unique.values()])).sort((a, b) => at(a) - at(b));
    const attempts: PlannedAttempt[] = rows
      .filter(({ state }) => state !== 'cancelled' && state !== 'assigned' && state !== 'unassignable')
      .map(({ replica, attempts: made, task, offersMade, touching }) => ({ task: task.spec, replica, attempt: made + 1, now, postedAt: task.postedAt, offersMade, touching }));
    scope.emit(await this.planner.planMany(scope, attempts, last ? { writeAtCommit: scope.writeAtCommit } : {}));
  }
}

/** The offer an answer names, if it is open and was made to that worker for that task; otherwise why the answer is refused. */
function openOffer(offer: (OpenOffer & { state: string }) | undefined, data: { offerId: string; workerId: string; taskId: string }, now: Date): OpenOffer | DeadLetterError {
  if (!offer || offer.workerId !== data.workerId || offer.taskId !== data.taskId) {
    return new DeadLetterError(`offer ${data.offerId} for task ${data.taskId} was not made to worker ${data.workerId}`);
  }
  if (offer.state !== 'open' || offer.expiresAt.getTime() <= now.getTime()) {
    return new DeadLetterError(`offer ${data.offerId} is no longer open (${offer.state === 'open' ? 'expired' : offer.state})`);
  }
  return offer;
}

function postedTwice(taskId: string): DeadLetterError {
  return new DeadLetterError(`task ${taskId} was already posted by another event; a task id can be posted once`);
}

function pick(o: OpenOffer) {
  return { offerId: o.offerId, taskId: o.taskId, workerId: o.workerId };
}
