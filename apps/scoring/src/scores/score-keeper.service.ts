import { Inject, Injectable, Logger } from '@nestjs/common';
import { TOPICS, type CachedScore, type OfferEvent, type WorkerEvent, type WorkerScored } from '@clearwork/contracts';
import { applyInUnits, claimEvents, DeadLetterError, OutboxRelay, timeOrderedId, type BatchedEvent, type BatchRejection, type EnqueuedEvent, type OutboxEvent } from '@clearwork/platform';
import {
  changesOf, evolve, isOnline, movesOnlyLastSeen, NEW_WORKER, observationsOf, scoreOf,
  type PolicyDocument, type Scores, type ScoringEvent, type WorkerScoreState,
} from '@clearwork/scoring-core';
import { DataSource, type EntityManager } from 'typeorm';
import { SCHEMA } from '../config';
import { PolicyCache } from '../policies/policy-cache';
import { ScoreCache } from './score-cache';
import { ScoreStore, type HistoryEntry, type WorkerRecord } from './score-store';
import { ScoreUnit } from './score-unit';

/** Clock skew tolerated on `occurredAt` before an event is refused as coming from the future. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
/** Events in one transaction at most: a longer batch is split, so each transaction stays short. */
const MAX_EVENTS_PER_UNIT = 200;

/** A worker rescored outside the event stream (a policy's recomputation, a lapse of presence): its scores and the events it enqueued. */
export interface Rescored {
  readonly scores: readonly CachedScore[];
  readonly enqueued: readonly EnqueuedEvent[];
}
const NOTHING_RESCORED: Rescored = { scores: [], enqueued: [] };

/**
 * Applies worker activity to scores under the current policy: for each event the evidence, the
 * new state, a history entry with the change per component, and the `WorkerScored` event
 * (through the outbox) commit together, a fetched batch of events in one transaction. Redis is
 * updated after commit.
 */
@Injectable()
export class ScoreKeeper {
  private readonly log = new Logger(ScoreKeeper.name);

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ScoreStore) private readonly store: ScoreStore,
    @Inject(PolicyCache) private readonly policies: PolicyCache,
    @Inject(ScoreCache) private readonly cache: ScoreCache,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
  ) {}

  /** Worker events in order, in the caller's transaction; the unit returned holds their writes. */
  async workerEventsIn(m: EntityManager, events: readonly WorkerEvent[], now: Date): Promise<ScoreUnit> {
    // Heartbeats are not claimed: one applied again moves nothing (presence is latest-wins, see
    // evolve), and a worker's once a minute made most of the claims.
    const claimed = await claimEvents(m, SCHEMA, events.filter((e) => e.type !== 'WorkerHeartbeat'));
    const fresh = events.filter((e) => e.type === 'WorkerHeartbeat' || claimed.delete(e.eventId.toLowerCase()));
    const unit = new ScoreUnit(m, this.store);
    await unit.load({
      workerIds: fresh.map((e) => e.data.workerId),
      offerIds: fresh.flatMap((e) => (e.type === 'OfferAccepted' || e.type === 'OfferDeclined' ? [e.data.offerId] : [])),
      taskIds: fresh.flatMap((e) => (e.type === 'TaskSubmitted' ? [e.data.taskId] : [])),
    });
    for (const event of fresh) await this.workerEvent(unit, event, now);
    return unit;
  }

  /** Offer events in order (offered times, expiries), in the caller's transaction. */
  async offerEventsIn(m: EntityManager, events: readonly OfferEvent[], now: Date): Promise<ScoreUnit> {
    const relevant = events.filter((e): e is Extract<OfferEvent, { type: 'OfferMade' | 'OfferExpired' }> => e.type === 'OfferMade' || e.type === 'OfferExpired');
    const claimed = await claimEvents(m, SCHEMA, relevant);
    const fresh = relevant.filter((e) => claimed.delete(e.eventId.toLowerCase()));
    const unit = new ScoreUnit(m, this.store);
    await unit.load({ workerIds: fresh.flatMap((e) => (e.type === 'OfferExpired' ? [e.data.workerId] : [])), offerIds: [], taskIds: [] });
    for (const event of fresh) {
      const { workerId, taskId, offerId } = event.data;
      if (event.type === 'OfferMade') {
        unit.recordOffer({ offerId, taskId, workerId, offeredAt: event.occurredAt });
        continue;
      }
      const record = unit.record(workerId);
      if (!record) throw new DeadLetterError(`worker ${workerId} is not registered`);
      await this.apply(unit, record, { type: 'OfferExpired', eventId: event.eventId, occurredAt: event.occurredAt, taskId }, now);
    }
    return unit;
  }

  /**
   * A fetched batch of worker or offer events, applied in order by `applyAll`, up to
   * MAX_EVENTS_PER_UNIT in one transaction (a refused event sends its chunk back by halves,
   * see applyInUnits). Returns the events refused for good.
   */
  async onBatch<E>(batch: readonly BatchedEvent<E>[], applyAll: (m: EntityManager, events: readonly E[], now: Date) => Promise<ScoreUnit>): Promise<BatchRejection[]> {
    return applyInUnits(
      batch,
      MAX_EVENTS_PER_UNIT,
      (chunk) =>
        this.dataSource.transaction(async (m) => {
          const unit = await applyAll(m, chunk.map((i) => i.event), new Date());
          const enqueued = await unit.write();
          return { scores: unit.scores, enqueued };
        }),
      async (outcomes) => {
        this.relay.committed(outcomes.flatMap((o) => o.enqueued));
        await this.cache.put(outcomes.flatMap((o) => o.scores));
      },
    );
  }

  private async workerEvent(unit: ScoreUnit, event: WorkerEvent, now: Date): Promise<void> {
    const { workerId } = event.data;
    if (event.type === 'WorkerRegistered') return this.register(unit, event, now);
    const record = unit.record(workerId);
    if (!record) throw new DeadLetterError(`worker ${workerId} is not registered; send WorkerRegistered first`);
    switch (event.type) {
      case 'WorkerProfileUpdated': {
        const { workerId: _w, ...patch } = event.data;
        await unit.writePending();
        await this.store.setProfile(unit.m, workerId, patch);
        return;
      }
      case 'WorkerSuspended':
      case 'WorkerReinstated':
        await unit.writePending();
        await this.store.setSuspended(unit.m, workerId, event.type === 'WorkerSuspended');
        return;
      default:
        return this.apply(unit, record, this.toScoringEvent(unit, event), now);
    }
  }

  async onTaskPosted(tasks: readonly { taskId: string; estimatedSeconds: number }[]): Promise<void> {
    await this.store.recordEstimates(this.dataSource.manager, tasks);
  }

  /**
   * Rebuilds these workers' states from their evidence under `policy` and republishes their
   * scores, in the caller's transaction, as one unit: their rows locked together (in id order),
   * their evidence read in one statement, each table written once. Workers already at the
   * policy's version (an event of theirs upgraded them meanwhile) are left as they are.
   */
  async recomputeMany(m: EntityManager, workerIds: readonly string[], policy: { version: number; document: PolicyDocument }, now: Date): Promise<Rescored> {
    const records = (await this.store.lockMany(m, workerIds)).filter((r) => r.policyVersion < policy.version);
    if (records.length === 0) return NOTHING_RESCORED;
    const evidence = await this.store.evidenceOfMany(m, records.map((r) => r.workerId));
    return this.republish(m, now, records.map((before) => {
      const state = rebuilt(policy.document, before, evidence.get(before.workerId) ?? []);
      const after = { ...before, state, scores: scoreOf(policy.document, state, now.getTime()), policyVersion: policy.version };
      return { before, after, eventType: 'PolicyPublished', note: `recomputed under policy v${policy.version}` };
    }));
  }

  /**
   * Records that these workers' heartbeats stopped: offline from now, scores republished, in the
   * caller's transaction as one unit (rows locked together in id order, each table written
   * once). Workers that are offline already, or whose state shows a heartbeat within the TTL (one
   * arrived since the sweep read them), are left as they are.
   */
  async presenceLapsedMany(m: EntityManager, workerIds: readonly string[], now: Date): Promise<Rescored> {
    const policy = await this.policies.current();
    const records = (await this.store.lockMany(m, workerIds)).filter((r) => r.online && !isOnline(policy.document, r.state, now.getTime()));
    return this.republish(m, now, records.map((before) => ({
      before,
      after: { ...before, online: false, scores: scoreOf(policy.document, before.state, now.getTime()) },
      eventType: 'PresenceLapsed',
      note: `no heartbeat for ${policy.document.presence.heartbeatTtlSeconds} s`,
    })));
  }

  /**
   * Writes workers' rows rescored outside the event stream as one unit, each with a history entry
   * (`eventType`, `note`, the change from `before`) and its score republished under the row's
   * policy version.
   */
  private async republish(m: EntityManager, now: Date, rows: readonly { before: WorkerRecord; after: WorkerRecord; eventType: string; note: string }[]): Promise<Rescored> {
    if (rows.length === 0) return NOTHING_RESCORED;
    const unit = new ScoreUnit(m, this.store);
    for (const { before, after, eventType, note } of rows) {
      const { workerId, policyVersion, scores } = after;
      unit.save(after);
      unit.addHistory([{ workerId, eventId: null, eventType, taskId: null, occurredAt: now.toISOString(), policyVersion, changes: diffScores(before.scores, scores), scores, note }]);
      unit.emit(scoredEvent(workerId, policyVersion, scores, undefined, now), cached(workerId, policyVersion, scores, now));
    }
    return { scores: unit.scores, enqueued: await unit.write() };
  }

  /**
   * Runs a rescoring (`recomputeMany`, `presenceLapsedMany`) in a transaction of its own; once it has
   * committed, publishes what it enqueued and writes its scores to Redis.
   */
  async rescore(work: (m: EntityManager) => Promise<Rescored>): Promise<void> {
    const done = await this.dataSource.transaction(work);
    this.relay.committed(done.enqueued);
    if (done.scores.length > 0) await this.cache.put(done.scores);
  }

  private async register(unit: ScoreUnit, event: Extract<WorkerEvent, { type: 'WorkerRegistered' }>, now: Date): Promise<void> {
    const { workerId, ...profile } = event.data;
    if (unit.record(workerId)) {
      // Registering again updates the profile; scores are kept.
      await unit.writePending();
      await this.store.setProfile(unit.m, workerId, profile);
      return;
    }
    const policy = await this.policies.current();
    const state = evolve(policy.document, NEW_WORKER, { type: 'WorkerRegistered', eventId: event.eventId, occurredAt: event.occurredAt });
    const scores = scoreOf(policy.document, state, now.getTime());
    unit.create({ workerId, profile, registeredAt: event.occurredAt, state, policyVersion: policy.version, scores, online: false, lastSeenAt: null });
    unit.addHistory([{
      workerId, eventId: event.eventId, eventType: event.type, taskId: null, occurredAt: event.occurredAt,
      policyVersion: policy.version, changes: { quality: 0, latency: 0, availability: 0, composite: 0 }, scores, note: 'registered: starting scores',
    }]);
    unit.emit(scoredEvent(workerId, policy.version, scores, event.eventId, now), cached(workerId, policy.version, scores, now));
  }

  private async apply(unit: ScoreUnit, record: WorkerRecord, e: ScoringEvent, now: Date): Promise<void> {
    const policy = await this.policies.current();
    const doc = policy.document;
    const at = Date.parse(e.occurredAt);
    if (at > now.getTime() + FUTURE_TOLERANCE_MS) {
      throw new DeadLetterError(`occurredAt ${e.occurredAt} is in the future (more than 5 minutes ahead of ${now.toISOString()})`);
    }
    let state = record.state;
    if (record.policyVersion < policy.version) {
      await unit.writePending(); // the rebuild reads the evidence
      state = await this.rebuild(unit.m, record, doc);
    }
    const isEvidence = Object.keys(observationsOf(doc, e)).length > 0;
    const tooOld = at < now.getTime() - doc.maxEventAgeDays * DAY_MS;
    const entries: HistoryEntry[] = [];
    let next = state;
    if (tooOld && isEvidence) {
      entries.push(historyOf(record.workerId, e, policy.version, zeroChanges(), record.scores, `ignored: older than ${doc.maxEventAgeDays} days when it arrived`));
    } else {
      if (isEvidence) unit.addEvidence(record.workerId, e);
      next = evolve(doc, state, e);
    }
    const online = isOnline(doc, next, now.getTime());
    const presenceChanged = online !== record.online;
    const quiet = !isEvidence && !presenceChanged && record.policyVersion === policy.version;
    if (quiet && next === state) return; // nothing moved: a heartbeat older than the last one seen
    if (quiet && movesOnlyLastSeen(state, next)) {
      unit.touch({ ...record, state: next, lastSeenAt: lastSeen(next) });
      return;
    }
    const scores = scoreOf(doc, next, now.getTime());
    unit.save({ ...record, state: next, scores, policyVersion: policy.version, online, lastSeenAt: lastSeen(next) });
    if (quiet) return;
    const changes = isEvidence && !tooOld ? changesOf(doc, state, next, at) : diffScores(record.scores, scores);
    if (entries.length === 0) entries.push(historyOf(record.workerId, e, policy.version, changes, scores));
    unit.addHistory(entries);
    unit.emit(scoredEvent(record.workerId, policy.version, scores, e.eventId, now), cached(record.workerId, policy.version, scores, now));
  }

  private async rebuild(m: EntityManager, record: WorkerRecord, policy: PolicyDocument): Promise<WorkerScoreState> {
    return rebuilt(policy, record, await this.store.evidenceOf(m, record.workerId));
  }

  private toScoringEvent(unit: ScoreUnit, event: Exclude<WorkerEvent, { type: 'WorkerRegistered' | 'WorkerProfileUpdated' | 'WorkerSuspended' | 'WorkerReinstated' }>): ScoringEvent {
    const base = { eventId: event.eventId, occurredAt: event.occurredAt };
    switch (event.type) {
      case 'WorkerWentOnline':
      case 'WorkerWentOffline':
      case 'WorkerHeartbeat':
        return { ...base, type: event.type };
      case 'TaskReviewed':
        return { ...base, type: event.type, taskId: event.data.taskId, verdict: event.data.verdict, gold: event.data.gold };
      case 'TaskSubmitted':
        return { ...base, type: event.type, taskId: event.data.taskId, durationSeconds: event.data.durationSeconds, estimatedSeconds: unit.estimateOf(event.data.taskId) };
      case 'TaskAbandoned':
        return { ...base, type: event.type, taskId: event.data.taskId, reason: event.data.reason };
      case 'OfferAccepted':
      case 'OfferDeclined': {
        const offeredAt = unit.offerTime(event.data.offerId);
        const responseSeconds = offeredAt ? Math.max(0, (Date.parse(event.occurredAt) - Date.parse(offeredAt)) / 1000) : undefined;
        const reason = event.type === 'OfferDeclined' ? event.data.reason : undefined;
        return { ...base, type: event.type, taskId: event.data.taskId, responseSeconds, reason };
      }
    }
  }
}

/** A worker's state under `policy` from its evidence (in time order), keeping its presence. */
function rebuilt(policy: PolicyDocument, record: WorkerRecord, evidence: readonly ScoringEvent[]): WorkerScoreState {
  const base: WorkerScoreState = { ...NEW_WORKER, presence: record.state.presence };
  return evidence.reduce((s, e) => evolve(policy, s, e), base);
}

function lastSeen(s: WorkerScoreState): string | null {
  return s.presence.lastSeen === null ? null : new Date(s.presence.lastSeen).toISOString();
}

function zeroChanges(): Record<string, number> {
  return { quality: 0, latency: 0, availability: 0, composite: 0 };
}

function diffScores(a: Scores, b: Scores): Record<string, number> {
  const d = (x: number, y: number) => Math.round((y - x) * 1e6) / 1e6;
  return {
    quality: d(a.components.quality.value, b.components.quality.value),
    latency: d(a.components.latency.value, b.components.latency.value),
    availability: d(a.components.availability.value, b.components.availability.value),
    composite: d(a.composite, b.composite),
  };
}

function historyOf(workerId: string, e: ScoringEvent, policyVersion: number, changes: Record<string, number>, scores: Scores, note?: string): HistoryEntry {
  return { workerId, eventId: e.eventId, eventType: e.type, taskId: e.taskId ?? null, occurredAt: e.occurredAt, policyVersion, changes, scores, note };
}

function scoredEvent(workerId: string, policyVersion: number, s: Scores, causeEventId: string | undefined, now: Date): OutboxEvent {
  const component = (c: keyof Scores['components']) => ({ value: s.components[c].value, uncertainty: s.components[c].uncertainty, evidence: s.components[c].evidence });
  const event: WorkerScored = {
    eventId: timeOrderedId(),
    type: 'WorkerScored',
    occurredAt: now.toISOString(),
    data: {
      workerId, policyVersion, composite: s.composite, causeEventId, scoredAt: now.toISOString(),
      components: { quality: component('quality'), latency: component('latency'), availability: component('availability') },
    },
  };
  return { topic: TOPICS.workerScores, key: workerId, value: event };
}

export function cached(workerId: string, policyVersion: number, s: Scores, now: Date): CachedScore {
  return {
    workerId, policyVersion, composite: s.composite,
    quality: s.components.quality.value, latency: s.components.latency.value, availability: s.components.availability.value,
    qualityEvidence: s.components.quality.effectiveWeight, scoredAt: now.toISOString(),
  };
}
