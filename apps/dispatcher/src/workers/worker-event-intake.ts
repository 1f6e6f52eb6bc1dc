import { Inject, Injectable } from '@nestjs/common';
import type { OfferAccepted, OfferDeclined, TaskReviewed, TaskSubmitted, WorkerEvent } from '@clearwork/contracts';
import { applyInUnits, DeadLetterError, type BatchedEvent, type BatchRejection, type UnitOutcome } from '@clearwork/platform';
import type { UnitScope } from '../dispatch/dispatch-unit';
import { TaskLifecycle } from '../tasks/task-lifecycle.service';
import { isPresenceEvent, WorkerRegistryUpdates, type PresenceEvent } from './worker-events.service';

/** Events in one unit at most: a longer batch is split, so each transaction stays short. */
const MAX_EVENTS_PER_UNIT = 500;

interface Applied extends UnitOutcome {
  readonly rejections: BatchRejection[];
  /** Workers who may now take more work (a slot freed, or they came online). */
  readonly mayTakeWork: Set<string>;
}

const notRegistered = (workerId: string) => new DeadLetterError(`worker ${workerId} is not registered; send WorkerRegistered first`);

/**
 * `gig.worker-events.v1` a fetched batch at a time. The events of a batch are applied in one
 * unit of work (one transaction, one outbox write, one publish), presence, answers and declines
 * each a few statements for the lot (see `applyAll`); then the waiting tasks that the freed or
 * newly present workers could do are dispatched again, once for the lot. An unknown worker's
 * presence and an answer to an offer that is no longer open are refused inside the unit; if any
 * other event is refused (a profile update of an unknown worker, say), the unit is rolled back
 * and its events are applied again by halves (see applyInUnits), so the refused one is
 * dead-lettered and the others land as they would have without it.
 */
@Injectable()
export class WorkerEventIntake {
  constructor(
    @Inject(WorkerRegistryUpdates) private readonly registry: WorkerRegistryUpdates,
    @Inject(TaskLifecycle) private readonly lifecycle: TaskLifecycle,
  ) {}

  /** Applies a batch in offset order; returns the events refused for good. */
  workerEvents(batch: readonly BatchedEvent<WorkerEvent>[]): Promise<BatchRejection[]> {
    return applyInUnits(
      batch,
      MAX_EVENTS_PER_UNIT,
      // Only an abandonment makes a new attempt (and ranks candidates) in the unit; declines' attempts follow in units of their own.
      (chunk) => this.lifecycle.unit((scope) => this.applyAll(scope, chunk, new Date()), { index: chunk.some(({ event }) => event.type === 'TaskAbandoned') }),
      async (outcomes) => {
        const workers = new Set<string>();
        for (const o of outcomes) for (const id of o.mayTakeWork) workers.add(id);
        await this.lifecycle.redispatchWaitingForMany([...workers]);
      },
    );
  }

  /**
   * Applies events in the caller's unit, gathered into three runs applied together: presence
   * (registrations, online, offline, heartbeats), answers (acceptances and submissions) and
   * declines, each a few statements for the lot (a declined replica is offered again after the
   * unit commits, see TaskLifecycle.offersDeclinedIn). The kinds touch different rows (the registry;
   * offers and assignments) and a freed slot counts only once the unit commits, so applying a
   * run of each kind after the other leaves what applying the events in order would; presence
   * goes last, so the workers' rows it locks are held for the shortest time. The runs
   * are applied and begun again where that could differ: a registration after the same worker's
   * presence events, an acceptance after a submission of the same task by the same worker, a
   * second answer to one offer, and before any other event (profile, suspension, abandonment),
   * which is applied alone in order. Throws a DeadLetterError for a refused event, except an
   * unknown worker's presence and an answer to an offer that is not open (or not the worker's),
   * which are returned as rejections while the rest of the unit lands (see RefusedAnswer).
   */
  private async applyAll(scope: UnitScope, chunk: readonly BatchedEvent<WorkerEvent>[], now: Date): Promise<Applied> {
    const applied: Applied = { rejections: [], mayTakeWork: new Set() };
    let presence: BatchedEvent<PresenceEvent>[] = [];
    let answers: (OfferAccepted | TaskSubmitted)[] = [];
    let declines: OfferDeclined[] = [];
    /** Workers with presence events in the run, (task, worker) pairs submitted in it, and offers answered in it. */
    const inRun = new Set<string>();
    /** Each event's item, so a refused answer is rejected as the item it came in. */
    const itemOf = new Map(chunk.map((item) => [item.event, item]));
    const flush = async () => {
      const outcomes = [];
      if (answers.length > 0) outcomes.push(await this.lifecycle.answersIn(scope, answers, now));
      if (declines.length > 0) outcomes.push(await this.lifecycle.offersDeclinedIn(scope, declines, now));
      for (const { freed, refused } of outcomes) {
        for (const id of freed) applied.mayTakeWork.add(id);
        for (const { event, error } of refused) applied.rejections.push({ item: itemOf.get(event)!, error });
      }
      // Presence last: it locks workers' rows, which the scores' updates wait for until the unit commits.
      if (presence.length > 0) {
        const { unknown, mayTakeWork } = await this.registry.presenceIn(scope.m, presence.map((b) => b.event));
        const refused = new Set<WorkerEvent>(unknown);
        for (const item of presence) if (refused.has(item.event)) applied.rejections.push({ item, error: notRegistered(item.event.data.workerId) });
        for (const id of mayTakeWork) applied.mayTakeWork.add(id);
      }
      presence = [];
      answers = [];
      declines = [];
      inRun.clear();
    };
    for (const item of chunk) {
      const { event } = item;
      if (event.type === 'TaskReviewed') continue; // scoring's concern
      if (isPresenceEvent(event)) {
        const key = `worker\t${event.data.workerId}`;
        if (event.type === 'WorkerRegistered' && inRun.has(key)) await flush();
        presence.push(item as BatchedEvent<PresenceEvent>);
        inRun.add(key);
      } else if (event.type === 'OfferAccepted' || event.type === 'OfferDeclined') {
        const offer = `offer\t${event.data.offerId}`;
        if (inRun.has(offer) || (event.type === 'OfferAccepted' && inRun.has(`submitted\t${event.data.taskId}\t${event.data.workerId}`))) await flush();
        if (event.type === 'OfferAccepted') answers.push(event);
        else declines.push(event);
        inRun.add(offer);
      } else if (event.type === 'TaskSubmitted') {
        answers.push(event);
        inRun.add(`submitted\t${event.data.taskId}\t${event.data.workerId}`);
      } else {
        await flush();
        const freed = await this.applyOne(scope, event, now);
        if (freed) applied.mayTakeWork.add(freed);
      }
    }
    // Refused in run order (answers before presence); applyInUnits puts them back in the order they came.
    await flush();
    return applied;
  }

  /** Applies one event; returns the worker who may now take more work, if any. */
  private async applyOne(scope: UnitScope, event: Exclude<WorkerEvent, PresenceEvent | OfferAccepted | OfferDeclined | TaskSubmitted | TaskReviewed>, now: Date): Promise<string | undefined> {
    switch (event.type) {
      case 'TaskAbandoned':
        return this.lifecycle.abandonedIn(scope, event, now);
      default: {
        const { known, mayTakeWork } = await this.registry.applyIn(scope.m, event);
        if (!known) throw notRegistered(event.data.workerId);
        return mayTakeWork ? event.data.workerId : undefined;
      }
    }
  }
}
