import { enqueue, type EnqueuedEvent, type OutboxEvent, type OutboxRelay } from '@clearwork/platform';
import type { DataSource, EntityManager } from 'typeorm';
import { SCHEMA } from '../config';
import type { CapacityLedger } from './capacity-ledger';
import { SlotClaims } from './slot-claims';

/** What a unit of work sees: its transaction, its capacity claims, and where to put events. */
export interface UnitScope {
  readonly m: EntityManager;
  readonly claims: SlotClaims;
  readonly emit: (events: readonly OutboxEvent[]) => void;
}

/**
 * Runs `work` in one PostgreSQL transaction whose events go through the outbox: state, decision
 * records and outgoing events commit together or not at all, and the events are published as
 * soon as it commits. Redis slots follow the outcome.
 */
export async function runUnit<T>(dataSource: DataSource, ledger: CapacityLedger, relay: OutboxRelay, work: (scope: UnitScope) => Promise<T>): Promise<T> {
  const claims = new SlotClaims(ledger);
  let result: T;
  let enqueued: EnqueuedEvent[] = [];
  try {
    result = await dataSource.transaction(async (m) => {
      const events: OutboxEvent[] = [];
      const value = await work({ m, claims, emit: (e) => events.push(...e) });
      enqueued = await enqueue(m, SCHEMA, events);
      return value;
    });
  } catch (error) {
    await claims.rolledBack();
    throw error;
  }
  relay.committed(enqueued);
  await claims.committed();
  return result;
}
