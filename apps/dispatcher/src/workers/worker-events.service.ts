import { Inject, Injectable } from '@nestjs/common';
import type { WorkerEvent } from '@clearwork/contracts';
import { claimEvent } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import { SCHEMA } from '../config';
import { WorkerRegistry } from './worker-registry';

/** The events that change who can be offered work: profile, presence and suspension. */
export type RegistryEvent = Extract<
  WorkerEvent,
  { type: 'WorkerRegistered' | 'WorkerProfileUpdated' | 'WorkerWentOnline' | 'WorkerWentOffline' | 'WorkerHeartbeat' | 'WorkerSuspended' | 'WorkerReinstated' }
>;

/** Keeps the shared worker registry current. Returns whether the worker may now take more work. */
@Injectable()
export class WorkerRegistryUpdates {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(WorkerRegistry) private readonly registry: WorkerRegistry,
  ) {}

  /** Applies the event once; returns true when it may have made the worker available for waiting tasks. */
  async apply(event: RegistryEvent): Promise<{ known: boolean; mayTakeWork: boolean }> {
    return this.dataSource.transaction(async (m) => {
      if (!(await claimEvent(m, SCHEMA, event.eventId, event.type))) return { known: true, mayTakeWork: false };
      const { workerId } = event.data;
      switch (event.type) {
        case 'WorkerRegistered':
          await this.registry.register(m, workerId, event.data);
          return { known: true, mayTakeWork: true };
        case 'WorkerProfileUpdated':
          return { known: await this.registry.update(m, workerId, event.data), mayTakeWork: true };
        case 'WorkerWentOnline':
        case 'WorkerHeartbeat':
          return { known: await this.registry.setPresence(m, workerId, true, event.occurredAt), mayTakeWork: event.type === 'WorkerWentOnline' };
        case 'WorkerWentOffline':
          return { known: await this.registry.setPresence(m, workerId, false, event.occurredAt), mayTakeWork: false };
        case 'WorkerSuspended':
          return { known: await this.registry.setSuspended(m, workerId, true), mayTakeWork: false };
        case 'WorkerReinstated':
          return { known: await this.registry.setSuspended(m, workerId, false), mayTakeWork: true };
      }
    });
  }
}
