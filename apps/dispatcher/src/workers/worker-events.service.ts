import { Inject, Injectable } from '@nestjs/common';
import type { WorkerEvent } from '@clearwork/contracts';
import { claimEvent, claimEvents, unclaimEvents } from '@clearwork/platform';
import type { EntityManager } from 'typeorm';
import { SCHEMA } from '../config';
import { WorkerRegistry } from './worker-registry';

/** The events that change who can be offered work: profile, presence and suspension. */
export type RegistryEvent = Extract<
  WorkerEvent,
  { type: 'WorkerRegistered' | 'WorkerProfileUpdated' | 'WorkerWentOnline' | 'WorkerWentOffline' | 'WorkerHeartbeat' | 'WorkerSuspended' | 'WorkerReinstated' }
>;

type WorkerHeartbeat = Extract<WorkerEvent, { type: 'WorkerHeartbeat' }>;

/** Keeps the shared worker registry current. Returns whether the worker may now take more work. */
@Injectable()
export class WorkerRegistryUpdates {
  constructor(
    @Inject(WorkerRegistry) private readonly registry: WorkerRegistry,
  ) {}

  /**
   * Applies the event once, in the caller's transaction; `mayTakeWork` when it may have made the
   * worker available for waiting tasks. An unknown worker's event is not recorded as handled.
   */
  async applyIn(m: EntityManager, event: RegistryEvent): Promise<{ known: boolean; mayTakeWork: boolean }> {
    if (!(await claimEvent(m, SCHEMA, event.eventId, event.type))) return { known: true, mayTakeWork: false };
    const { workerId } = event.data;
    let result: { known: boolean; mayTakeWork: boolean };
    switch (event.type) {
      case 'WorkerRegistered':
        await this.registry.register(m, workerId, event.data);
        return { known: true, mayTakeWork: true };
      case 'WorkerProfileUpdated':
        result = { known: await this.registry.update(m, workerId, event.data), mayTakeWork: true };
        break;
      case 'WorkerWentOnline':
      case 'WorkerHeartbeat':
        result = { known: await this.registry.setPresence(m, workerId, true, event.occurredAt), mayTakeWork: event.type === 'WorkerWentOnline' };
        break;
      case 'WorkerWentOffline':
        result = { known: await this.registry.setPresence(m, workerId, false, event.occurredAt), mayTakeWork: false };
        break;
      case 'WorkerSuspended':
        result = { known: await this.registry.setSuspended(m, workerId, true), mayTakeWork: false };
        break;
      case 'WorkerReinstated':
        result = { known: await this.registry.setSuspended(m, workerId, false), mayTakeWork: true };
        break;
    }
    if (!result.known) await unclaimEvents(m, SCHEMA, [event.eventId]);
    return result;
  }

  /**
   * Heartbeats in one statement each way: the events are claimed together and every known
   * worker's presence refreshed together. Returns the heartbeats of unknown workers, which are
   * not recorded as handled.
   */
  async heartbeats(m: EntityManager, events: readonly WorkerHeartbeat[]): Promise<WorkerHeartbeat[]> {
    const claimed = await claimEvents(m, SCHEMA, events);
    const fresh = events.filter((e) => claimed.delete(e.eventId.toLowerCase()));
    const known = await this.registry.seenMany(m, fresh.map((e) => ({ workerId: e.data.workerId, at: e.occurredAt })));
    const unknown = fresh.filter((e) => !known.has(e.data.workerId));
    await unclaimEvents(m, SCHEMA, unknown.map((e) => e.eventId));
    return unknown;
  }
}
