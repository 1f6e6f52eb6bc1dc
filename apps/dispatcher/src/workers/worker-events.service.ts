import { Inject, Injectable } from '@nestjs/common';
import type { WorkerEvent } from '@clearwork/contracts';
import { claimEvent, claimEvents, unclaimEvents } from '@clearwork/platform';
import type { EntityManager } from 'typeorm';
import { SCHEMA } from '../config';
import { WorkerRegistry } from './worker-registry';

/** The events that change who can be offered work one by one: profile and suspension. */
export type RegistryEvent = Extract<WorkerEvent, { type: 'WorkerProfileUpdated' | 'WorkerSuspended' | 'WorkerReinstated' }>;

/** Registrations and presence, applied a run at a time (see `presenceIn`). */
export type PresenceEvent = Extract<WorkerEvent, { type: 'WorkerRegistered' | 'WorkerWentOnline' | 'WorkerWentOffline' | 'WorkerHeartbeat' }>;

const PRESENCE_TYPES: ReadonlySet<string> = new Set(['WorkerRegistered', 'WorkerWentOnline', 'WorkerWentOffline', 'WorkerHeartbeat']);

export function isPresenceEvent(event: WorkerEvent): event is PresenceEvent {
  return PRESENCE_TYPES.has(event.type);
}

/** Keeps the shared worker registry current. */
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
      case 'WorkerProfileUpdated':
        result = { known: await this.registry.update(m, workerId, event.data), mayTakeWork: true };
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
   * A run of registrations and presence events (online, offline, heartbeats) in a statement each
   * way: the events are claimed together, the registrations written together, then every known
   * worker takes the presence of its last event. The caller ends a run before a registration of
   * a worker the run already holds presence events for, so those are judged as they came.
   * Returns the events of unknown workers, which are not recorded as handled, and the workers
   * who may now take work (registered, or come online).
   */
  async presenceIn(m: EntityManager, events: readonly PresenceEvent[]): Promise<{ unknown: PresenceEvent[]; mayTakeWork: Set<string> }> {
    // Heartbeats are not claimed: one applied again changes nothing (see WorkerRegistry.presenceMany),
    // and with 20,000 workers their claims would be 333 rows a second, kept for ever.
    const claimable = (e: PresenceEvent) => e.type !== 'WorkerHeartbeat';
    const claimed = await claimEvents(m, SCHEMA, events.filter(claimable));
    const fresh = events.filter((e) => !claimable(e) || claimed.delete(e.eventId.toLowerCase()));
    const registrations = fresh.flatMap((e) => (e.type === 'WorkerRegistered' ? [e.data] : []));
    await this.registry.registerMany(m, registrations);
    const presence = fresh.filter((e) => e.type !== 'WorkerRegistered');
    const known = await this.registry.presenceMany(m, presence.map((e) => ({
      workerId: e.data.workerId, online: e.type !== 'WorkerWentOffline', at: e.occurredAt, heartbeat: !claimable(e),
    })));
    const unknown = presence.filter((e) => !known.has(e.data.workerId));
    await unclaimEvents(m, SCHEMA, unknown.filter(claimable).map((e) => e.eventId));
    const cameOnline = presence.filter((e) => e.type === 'WorkerWentOnline' && known.has(e.data.workerId));
    return { unknown, mayTakeWork: new Set([...registrations, ...cameOnline.map((e) => e.data)].map((d) => d.workerId)) };
  }
}
