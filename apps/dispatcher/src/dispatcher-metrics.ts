import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { CachedReading, type OutboxEvent, type PlatformMetrics } from '@clearwork/platform';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { UnitObserver } from './dispatch/dispatch-unit';

/** What became of an offer; each counted when the unit that changed it commits. */
export type OfferOutcome = 'made' | 'accepted' | 'declined' | 'expired' | 'withdrawn';

const OFFER_OUTCOMES: readonly OfferOutcome[] = ['made', 'accepted', 'declined', 'expired', 'withdrawn'];

/** Outgoing events that mark an offer's change of state (a decline arrives from the platform and is counted where it is applied). */
const OFFER_EVENTS: ReadonlyMap<string, OfferOutcome> = new Map([
  ['OfferMade', 'made'],
  ['TaskAssigned', 'accepted'],
  ['OfferExpired', 'expired'],
  ['OfferWithdrawn', 'withdrawn'],
]);

/** How often at most the waiting replicas are counted in PostgreSQL, however often `/metrics` is scraped. */
const WAITING_COUNT_EVERY_MS = 5_000;

/**
 * The dispatcher's own metrics, on the service's `/metrics`. Decisions and offers are counted
 * from the events of each committed unit of work, so a unit that rolls back counts nothing.
 */
export class DispatcherMetrics implements UnitObserver {
  readonly decisionSeconds: Histogram<'mode' | 'outcome'>;
  readonly offers: Counter<'outcome'>;
  readonly waitingReplicas: Gauge;
  readonly units: Counter<'outcome'>;
  readonly tasksPruned: Counter;

  /** `countWaiting` counts the task replicas in state waiting. */
  constructor(platform: PlatformMetrics, countWaiting: () => Promise<number>) {
    const registers = [platform.registry];
    this.decisionSeconds = new Histogram({
      name: 'clearwork_dispatch_decision_seconds',
      help:
        'Time from the start of the unit of work that took a task up (a fetched TaskPosted batch, an answer, an expiry, a freed worker, a batch window) ' +
        'to the commit of its decision record and offer, which the outbox then publishes; by mode (online, batch) and outcome (offered, waiting)',
      labelNames: ['mode', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers,
    });
    this.offers = new Counter({
      name: 'clearwork_dispatch_offers_total',
      help: 'Offers by what became of them (made, accepted, declined, expired, withdrawn), counted as each change commits',
      labelNames: ['outcome'],
      registers,
    });
    // Every outcome is on /metrics from the start, so a rate over it is 0 rather than missing.
    for (const outcome of OFFER_OUTCOMES) this.offers.inc({ outcome }, 0);
    this.units = new Counter({
      name: 'clearwork_dispatch_units_total',
      help:
        'Units of work (one transaction each, or one statement for posted tasks: a fetched batch of events, an expiry sweep, a redispatch) by outcome: committed, or rolled_back ' +
        '(an event refused inside it, a conflict, an error; its events are applied again), which should stay rare',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['committed', 'rolled_back']) this.units.inc({ outcome }, 0);
    this.tasksPruned = new Counter({
      name: 'clearwork_dispatch_tasks_pruned_total',
      help: 'Ended tasks deleted with their replicas, offers, decision records and assignments once DISPATCHER_TASK_RETENTION_DAYS had passed (the audit log keeps their decisions)',
      registers,
    });
    const log = new Logger(DispatcherMetrics.name);
    const waiting = new CachedReading({
      read: countWaiting,
      maxAgeMs: WAITING_COUNT_EVERY_MS,
      waitMs: 1_000,
      onError: (error) => log.warn(`counting waiting replicas failed (${error.message}); /metrics shows the last count`),
    });
    this.waitingReplicas = new Gauge({
      name: 'clearwork_dispatch_waiting_replicas',
      help: `Task replicas waiting for an eligible worker (no offer open, not given up), counted at most every ${WAITING_COUNT_EVERY_MS / 1000} s`,
      registers,
      async collect() {
        const count = await waiting.value();
        if (count !== undefined) this.set(count);
      },
    });
  }

  unitRolledBack(): void {
    this.units.inc({ outcome: 'rolled_back' });
  }

  unitCommitted(events: readonly OutboxEvent[], startedAt: number): void {
    this.units.inc({ outcome: 'committed' });
    const seconds = (performance.now() - startedAt) / 1000;
    for (const { value } of events) {
      const { type, data } = value as { type?: string; data?: { mode?: string; selectedWorkerId?: string | null } };
      if (type === 'DecisionRecorded') {
        this.decisionSeconds.observe({ mode: data?.mode ?? 'online', outcome: data?.selectedWorkerId ? 'offered' : 'waiting' }, seconds);
        continue;
      }
      const outcome = type === undefined ? undefined : OFFER_EVENTS.get(type);
      if (outcome) this.offers.inc({ outcome });
    }
  }

  /** Offers that changed state without an event of the engine's own (declines), once their unit has committed. */
  offersClosed(outcome: OfferOutcome, count = 1): void {
    this.offers.inc({ outcome }, count);
  }
}
