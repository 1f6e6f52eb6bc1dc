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
 * The longest a unit may run before it commits; one that took longer rolls back instead (its
 * events are consumed again). The capacity reconciler relies on it: a counter that Redis holds
 * above PostgreSQL's count for longer than this cannot be an uncommitted claim, and only then is
 * it corrected down.
 */
export const UNIT_DEADLINE_MS = 20_000;

export class UnitOverran extends Error {
  constructor(ms: number) {
    super(`a unit of work ran ${ms} ms, past its ${UNIT_DEADLINE_MS} ms deadline, and was rolled back; its events will be consumed again (is PostgreSQL or Redis overloaded?)`);
  }
}

/**
 * Runs `work` in one PostgreSQL transaction whose events go through the outbox: state, decision
 * records and outgoing events commit together or not at all, and the events are published as
 * soon as it commits. Redis slots follow the outcome.
 */
export async function runUnit<T>(dataSource: DataSource, ledger: CapacityLedger, relay: OutboxRelay, work: (scope: UnitScope) => Promise<T>): Promise<T> {
  const claims = new SlotClaims(ledger);
  const started = Date.now();
  let result: T;
  let enqueued: EnqueuedEvent[] = [];
  try {
    result = await dataSource.transaction(async (m) => {
      const events: OutboxEvent[] = [];
      const value = await work({ m, claims, emit: (e) => events.push(...e) });
      enqueued = await enqueue(m, SCHEMA, events);
      const ran = Date.now() - started;
      if (ran > UNIT_DEADLINE_MS) throw new UnitOverran(ran);
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
