import { Inject, Injectable } from '@nestjs/common';
import type { OfferAccepted, TaskReviewed, TaskSubmitted, WorkerEvent } from '@clearwork/contracts';
import { applyInUnits, DeadLetterError, type BatchedEvent, type BatchRejection, type UnitOutcome } from '@clearwork/platform';
import type { UnitScope } from '../dispatch/dispatch-unit';
import { TaskLifecycle } from '../tasks/task-lifecycle.service';
import { isPresenceEvent, WorkerRegistryUpdates, type PresenceEvent } from './worker-events.service';

/** Events in one unit at most: a longer batch is split, so each transaction stays short. */
const MAX_EVENTS_PER_UNIT = 200;

interface Applied extends UnitOutcome {
  readonly rejections: BatchRejection[];
  /** Workers who may now take more work (a slot freed, or they came online). */
  readonly mayTakeWork: Set<string>;
}

const notRegistered = (workerId: string) => new DeadLetterError(`worker ${workerId} is not registered; send WorkerRegistered first`);

/**
 * `gig.worker-events.v1` a fetched batch at a time. The events of a batch are applied in order
 * in one unit of work (one transaction, one outbox write, one publish), runs of registrations
 * and presence events in a statement each way; then the waiting tasks that the freed or newly
 * present workers could do are dispatched again, once for the lot. If one event is refused (an answer to an offer that is
 * no longer open, say), the unit is rolled back and its events are applied one unit each, so the
 * refused one is dead-lettered and the others land as they would have alone.
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
      // Only a decline or an abandonment makes a new attempt (and ranks candidates) in the unit.
      (chunk) => this.lifecycle.unit((scope) => this.applyAll(scope, chunk, new Date()), { index: chunk.some(({ event }) => event.type === 'OfferDeclined' || event.type === 'TaskAbandoned') }),
      async (outcomes) => {
        const workers = new Set<string>();
        for (const o of outcomes) for (const id of o.mayTakeWork) workers.add(id);
        await this.lifecycle.redispatchWaitingForMany([...workers]);
      },
    );
  }

  /**
   * Applies events in order in the caller's unit, consecutive ones of a kind together: runs of
   * registrations and presence events, and runs of acceptances and submissions. A run is cut
   * where applying it together could differ from applying it in order (a registration after the
   * same worker's presence events; an acceptance after a submission of the same task by the same
   * worker). Throws a DeadLetterError for a refused event, except an unknown worker's presence.
   */
  private async applyAll(scope: UnitScope, chunk: readonly BatchedEvent<WorkerEvent>[], now: Date): Promise<Applied> {
    const applied: Applied = { rejections: [], mayTakeWork: new Set() };
    let presence: BatchedEvent<PresenceEvent>[] = [];
    let answers: (OfferAccepted | TaskSubmitted)[] = [];
    const inRun = new Set<string>();
    const flush = async () => {
      if (presence.length > 0) {
        const { unknown, mayTakeWork } = await this.registry.presenceIn(scope.m, presence.map((b) => b.event));
        const refused = new Set<WorkerEvent>(unknown);
        for (const item of presence) if (refused.has(item.event)) applied.rejections.push({ item, error: notRegistered(item.event.data.workerId) });
        for (const id of mayTakeWork) applied.mayTakeWork.add(id);
      }
      if (answers.length > 0) for (const id of await this.lifecycle.answersIn(scope, answers, now)) applied.mayTakeWork.add(id);
      presence = [];
      answers = [];
      inRun.clear();
    };
    for (const item of chunk) {
      const { event } = item;
      if (event.type === 'TaskReviewed') continue; // scoring's concern
      if (isPresenceEvent(event)) {
        if (answers.length > 0 || (event.type === 'WorkerRegistered' && inRun.has(event.data.workerId))) await flush();
        presence.push(item as BatchedEvent<PresenceEvent>);
        inRun.add(event.data.workerId);
      } else if (event.type === 'OfferAccepted' || event.type === 'TaskSubmitted') {
        const key = `${event.data.taskId}\t${event.data.workerId}`;
        if (presence.length > 0 || (event.type === 'OfferAccepted' && inRun.has(key))) await flush();
        answers.push(event);
        if (event.type === 'TaskSubmitted') inRun.add(key);
      } else {
        await flush();
        const freed = await this.applyOne(scope, event, now);
        if (freed) applied.mayTakeWork.add(freed);
      }
    }
    await flush();
    return applied;
  }

  /** Applies one event; returns the worker who may now take more work, if any. */
  private async applyOne(scope: UnitScope, event: Exclude<WorkerEvent, PresenceEvent | OfferAccepted | TaskSubmitted | TaskReviewed>, now: Date): Promise<string | undefined> {
    switch (event.type) {
      case 'OfferDeclined':
        return this.lifecycle.offerDeclinedIn(scope, event, now);
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
