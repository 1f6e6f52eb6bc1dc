import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import { enqueue, OutboxRelay, type EnqueuedEvent, type OutboxEvent, type WriteClauses } from '@clearwork/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { SCHEMA } from '../config';
import { CandidateIndex } from '../workers/candidate-index';
import { DispatcherMetrics } from '../dispatcher-metrics';
import { CapacityLedger } from './capacity-ledger';
import { SlotClaims } from './slot-claims';

/** What a unit of work sees: its transaction, its capacity claims, and where to put events. */
export interface UnitScope {
  readonly m: EntityManager;
  readonly claims: SlotClaims;
  readonly emit: (events: readonly OutboxEvent[]) => void;
  /** Runs `effect` once the unit has committed, and not at all if it rolls back: for what is not in the transaction, such as metrics. */
  readonly afterCommit: (effect: () => void) => void;
  /**
   * Makes these writes in the unit's last statement, with its outbox insert: one round trip
   * instead of two. Only for a unit's last writes (nothing the unit reads after may depend on
   * them), and once per unit.
   */
  readonly writeAtCommit: (writes: WriteClauses) => void;
}

/** Told of every unit that commits; the dispatcher's metrics. */
export interface UnitObserver {
  /** A unit that started at `startedAt` (`performance.now()`) committed `events`, which the outbox publishes next. */
  unitCommitted(events: readonly OutboxEvent[], startedAt: number): void;
  /** A unit rolled back (a refused event, a conflict, an error). */
  unitRolledBack?(): void;
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

/** Throws UnitOverran when a unit that started at `started` (`Date.now()`) has run past its deadline. */
function throwIfOverran(started: number): void {
  const ran = Date.now() - started;
  if (ran > UNIT_DEADLINE_MS) throw new UnitOverran(ran);
}

/**
 * Runs `work` in one PostgreSQL transaction whose events go through the outbox: state, decision
 * records and outgoing events commit together or not at all, and the events are published as
 * soon as it commits. Redis slots follow the outcome; `observer` hears of the commit.
 */
export async function runUnit<T>(
  dataSource: DataSource,
  ledger: CapacityLedger,
  relay: OutboxRelay,
  work: (scope: UnitScope) => Promise<T>,
  observer?: UnitObserver,
): Promise<T> {
  const claims = new SlotClaims(ledger);
  const started = Date.now();
  const startedAt = performance.now();
  let result: T;
  let enqueued: EnqueuedEvent[] = [];
  let effects: (() => void)[] = [];
  try {
    result = await dataSource.transaction(async (m) => {
      const events: OutboxEvent[] = [];
      effects = [];
      let last: WriteClauses | undefined;
      const writeAtCommit = (writes: WriteClauses) => {
        if (last) throw new Error('a unit makes one set of writes at commit');
        last = writes;
      };
      const value = await work({ m, claims, emit: (e) => events.push(...e), afterCommit: (effect) => effects.push(effect), writeAtCommit });
      enqueued = await enqueue(m, SCHEMA, events, last);
      throwIfOverran(started);
      return value;
    });
  } catch (error) {
    observer?.unitRolledBack?.();
    await claims.rolledBack();
    throw error;
  }
  relay.committed(enqueued);
  observer?.unitCommitted(enqueued, startedAt);
  for (const effect of effects) effect();
  await claims.committed();
  return result;
}

/** What a unit of one statement (`runStatementUnit`) sees: the pool's manager, outside any transaction, and its capacity claims. */
export type StatementScope = Pick<UnitScope, 'm' | 'claims'>;

/** A unit of one statement, planned: `write` makes its one statement. */
export interface PlannedStatement<T> {
  /**
   * Makes the unit's writes in one statement (atomic on its own, with no transaction around it)
   * and returns the outbox events it wrote with their row ids, the workers whose slots were
   * claimed for what it found already done (one per slot: handed back), and the unit's result.
   */
  write(m: EntityManager): Promise<{ enqueued: EnqueuedEvent[]; unused: readonly string[]; result: T }>;
}

/**
 * A unit whose writes all go in one statement, with no transaction: `plan` reads (outside any
 * transaction) and claims slots, then its statement writes everything at once. Two round trips
 * to PostgreSQL fewer than `runUnit` (BEGIN and COMMIT), and the statement can be the unit's
 * only one. Claims are handed back if the statement fails, and those it did not use once it
 * has committed; the deadline holds up to the statement, as `runUnit`'s up to its commit.
 */
export async function runStatementUnit<T>(
  dataSource: DataSource,
  ledger: CapacityLedger,
  relay: OutboxRelay,
  plan: (scope: StatementScope) => Promise<PlannedStatement<T>>,
  observer?: UnitObserver,
): Promise<T> {
  const claims = new SlotClaims(ledger);
  const started = Date.now();
  const startedAt = performance.now();
  let written: Awaited<ReturnType<PlannedStatement<T>['write']>>;
  try {
    const planned = await plan({ m: dataSource.manager, claims });
    throwIfOverran(started);
    written = await planned.write(dataSource.manager);
  } catch (error) {
    observer?.unitRolledBack?.();
    await claims.rolledBack();
    throw error;
  }
  relay.committed(written.enqueued);
  observer?.unitCommitted(written.enqueued, startedAt);
  await claims.giveBack(written.unused);
  await claims.committed();
  return written.result;
}

/** Runs units of work on the service's PostgreSQL, Redis and outbox, and reports each commit to the metrics. */
@Injectable()
export class DispatchUnits {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CapacityLedger) private readonly ledger: CapacityLedger,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(DispatcherMetrics) private readonly metrics: DispatcherMetrics,
    @Inject(CandidateIndex) private readonly index: CandidateIndex,
  ) {}

  /**
   * Runs `work` as one unit: one transaction, its capacity claims, its events through the outbox.
   * The candidate index is brought up to what has committed first, outside the transaction: a
   * refresh inside it would hold the unit's connection while waiting for a second one, and units
   * doing so at once could take the whole pool and wait for ever (with a single-session database,
   * as in embedded mode, the first one would). A unit that ranks no candidates passes
   * `{ index: false }` and skips the refresh (heartbeats, acceptances, cancellations).
   */
  async run<T>(work: (scope: UnitScope) => Promise<T>, options: { index?: boolean } = {}): Promise<T> {
    if (options.index !== false) await this.index.refresh();
    return runUnit(this.dataSource, this.ledger, this.relay, work, this.metrics);
  }

  /** Runs a unit of one statement (see `runStatementUnit`), the candidate index refreshed first as for `run`. */
  async runAsStatement<T>(plan: (scope: StatementScope) => Promise<PlannedStatement<T>>): Promise<T> {
    await this.index.refresh();
    return runStatementUnit(this.dataSource, this.ledger, this.relay, plan, this.metrics);
  }
}
