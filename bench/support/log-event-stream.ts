import { randomUUID } from 'node:crypto';
import { contentHash } from '@clearwork/audit-core';
import { TOPIC_SCHEMAS, TOPICS, type FilterReason, type RankedCandidate, type TopicName } from '@clearwork/contracts';
import { summariseFiltering } from '@clearwork/matching-core';
import { envelope } from '@clearwork/testing';

/** One event as it goes onto its topic: already in the form the consumer's schema parse yields. */
export interface LoggedEvent {
  readonly topic: TopicName;
  /** taskId for decisions and offers, workerId for worker events: the keys the producers use. */
  readonly key: string;
  readonly event: { eventId: string; type: string; occurredAt: string; data: unknown };
}

export interface StreamOptions {
  readonly count: number;
  readonly random: () => number;
  readonly workers?: number;
  readonly start?: Date;
}

const TOP_K = 5;
const POLICY = { version: 3, contentHash: contentHash({ policy: 'bench', version: 3 }) };

/**
 * Events in the proportions a busy deployment writes to the log, task by task: a decision with
 * its top 5 candidates, the offer, then acceptance, assignment and submission, or (one time in
 * four) an expired offer and a second decision; now and then a worker goes on- or offline.
 * Heartbeats are left out: the log does not record them, so they would not count as entries.
 * Every event is checked against its topic's schema, so none is dead-lettered.
 */
export function logEventStream(options: StreamOptions): LoggedEvent[] {
  const { count, random } = options;
  const workers = options.workers ?? 2_000;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const workerId = () => `worker-${String(Math.floor(random() * workers)).padStart(5, '0')}`;
  let clock = (options.start ?? new Date('2025-01-06T08:00:00.000Z')).getTime();
  const at = () => new Date((clock += 1 + Math.floor(random() * 40)));
  const out: LoggedEvent[] = [];

  const push = (topic: TopicName, key: string, type: string, data: unknown) => {
    if (out.length >= count) return;
    const parsed = TOPIC_SCHEMAS[topic].safeParse(envelope(type, data, at()));
    if (!parsed.success) throw new Error(`the benchmark built an invalid ${type}: ${parsed.error.message}`);
    out.push({ topic, key, event: parsed.data as LoggedEvent['event'] });
  };

  const decide = (taskId: string, attempt: number, payCents: number) => {
    const decisionId = randomUUID();
    const topK = candidates(random, workerId);
    const selected = random() < 0.92 ? topK[0] : null;
    const poolSize = 20 + Math.floor(random() * 180);
    const filteredOut: Partial<Record<FilterReason, number>> = { skill_missing: Math.floor(poolSize * 0.4), offline: Math.floor(poolSize * 0.2) };
    if (random() < 0.3) filteredOut.at_capacity = 1 + Math.floor(random() * 5);
    push(TOPICS.decisions, taskId, 'DecisionRecorded', {
      decisionId, taskId, replica: 1, attempt, decidedAt: new Date(clock).toISOString(), mode: 'online', policy: POLICY, poolSize, filteredOut,
      topK, selectedWorkerId: selected?.workerId ?? null, cutoffScore: selected?.finalScore ?? null,
      inputDigest: contentHash({ taskId, attempt, poolSize }), summary: summariseFiltering(poolSize, filteredOut),
    });
    if (!selected) {
      push(TOPICS.offers, taskId, 'TaskWaiting', { taskId, replica: 1, reasons: [{ code: 'at_capacity', count: 3 }] });
      return null;
    }
    const offerId = randomUUID();
    const expiresAt = new Date(clock + 60_000).toISOString();
    push(TOPICS.offers, taskId, 'OfferMade', { offerId, taskId, workerId: selected.workerId, replica: 1, attempt, expiresAt, decisionId, payCents, currency: 'EUR' });
    return { offerId, workerId: selected.workerId };
  };

  while (out.length < count) {
    const taskId = `task-${randomUUID()}`;
    const payCents = 50 + Math.floor(random() * 400);
    let offer = decide(taskId, 1, payCents);
    if (offer && random() < 0.25) {
      push(TOPICS.offers, taskId, 'OfferExpired', { offerId: offer.offerId, taskId, workerId: offer.workerId, reason: 'no answer within 60 s' });
      offer = decide(taskId, 2, payCents);
    }
    if (offer) {
      const response = { workerId: offer.workerId, offerId: offer.offerId, taskId };
      push(TOPICS.workerEvents, offer.workerId, 'OfferAccepted', response);
      push(TOPICS.offers, taskId, 'TaskAssigned', { taskId, workerId: offer.workerId, offerId: offer.offerId, replica: 1 });
      push(TOPICS.workerEvents, offer.workerId, 'TaskSubmitted', { workerId: offer.workerId, taskId, durationSeconds: 30 + Math.floor(random() * 300) });
    }
    if (random() < 0.1) {
      const w = workerId();
      push(TOPICS.workerEvents, w, pick(['WorkerWentOnline', 'WorkerWentOffline']), { workerId: w });
    }
  }
  return out;
}

function candidates(random: () => number, workerId: () => string): RankedCandidate[] {
  const seen = new Set<string>();
  const ranked: RankedCandidate[] = [];
  while (ranked.length < TOP_K) {
    const id = workerId();
    if (seen.has(id)) continue;
    seen.add(id);
    const components = { quality: round(random()), latency: round(random()), availability: round(random()) };
    const baseScore = round(0.5 * components.quality + 0.3 * components.latency + 0.2 * components.availability);
    const adjustments = random() < 0.1 ? [{ kind: 'newcomer_slot', delta: 0.05, reason: 'fewer than 20 reviewed tasks: one slot in ten is kept for newcomers' }] : [];
    const finalScore = round(baseScore + adjustments.reduce((s, a) => s + a.delta, 0));
    ranked.push({ rank: 0, workerId: id, components, baseScore, adjustments, finalScore });
  }
  ranked.sort((a, b) => b.finalScore - a.finalScore);
  return ranked.map((c, i) => ({ ...c, rank: i + 1 }));
}

const round = (v: number) => Math.round(v * 10_000) / 10_000;
