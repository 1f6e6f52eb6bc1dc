import { EMPTY_EVIDENCE, decayedDays, observe, readEvidence, type Evidence } from './evidence';
import { COMPONENTS, type Component, type DeclineReasonCode, type PolicyDocument } from './policy';

/** One event as scoring sees it, with what the shell looked up (offer and estimate times). */
export type ScoringEvent = { readonly eventId: string; readonly occurredAt: string; readonly taskId?: string } & (
  | { readonly type: 'WorkerRegistered' }
  | { readonly type: 'WorkerWentOnline' | 'WorkerHeartbeat' | 'WorkerWentOffline' }
  | { readonly type: 'TaskReviewed'; readonly verdict: 'approved' | 'rejected'; readonly gold: boolean }
  | { readonly type: 'TaskSubmitted'; readonly durationSeconds: number; readonly estimatedSeconds?: number }
  | { readonly type: 'OfferAccepted' | 'OfferDeclined'; readonly responseSeconds?: number; readonly reason?: DeclineReasonCode }
  | { readonly type: 'OfferExpired' }
  | { readonly type: 'TaskAbandoned'; readonly reason?: DeclineReasonCode }
);

/** Everything scoring keeps about one worker; a pure function of the events applied. */
export interface WorkerScoreState {
  readonly evidence: Readonly<Record<Component, Evidence>>;
  /** Events that fed each component (not decayed): the "evidence count" shown to the worker. */
  readonly counts: Readonly<Record<Component, number>>;
  readonly presence: {
    readonly online: boolean;
    readonly since: number | null;
    readonly lastSeen: number | null;
    readonly firstSeen: number | null;
    /** Decayed days online in closed intervals, as evidence weight. */
    readonly onlineDays: Evidence;
  };
}

export const NEW_WORKER: WorkerScoreState = {
  evidence: { quality: EMPTY_EVIDENCE, latency: EMPTY_EVIDENCE, availability: EMPTY_EVIDENCE },
  counts: { quality: 0, latency: 0, availability: 0 },
  presence: { online: false, since: null, lastSeen: null, firstSeen: null, onlineDays: EMPTY_EVIDENCE },
};

export interface ComponentScore {
  readonly value: number;
  /** Half-width of a 95% band around `value`. */
  readonly uncertainty: number;
  /** Events that fed this component. */
  readonly evidence: number;
  /** Their weight after recency decay. */
  readonly effectiveWeight: number;
}

export interface Scores {
  readonly components: Readonly<Record<Component, ComponentScore>>;
  readonly composite: number;
}

/** One component's observation from one event; absent when the event says nothing about it. */
type Observation = { value: number; weight: number };

/** What an event says about each component under the policy. Events the policy does not list say nothing. */
export function observationsOf(policy: PolicyDocument, e: ScoringEvent): Partial<Record<Component, Observation>> {
  const out: Partial<Record<Component, Observation>> = {};
  const listed = (c: Component) => (policy.events[c] as readonly string[]).includes(e.type);
  const legitimate = (reason?: DeclineReasonCode) => reason !== undefined && policy.availability.legitimateReasons.includes(reason);
  switch (e.type) {
    case 'TaskReviewed':
      if (listed('quality')) out.quality = { value: e.verdict === 'approved' ? 1 : 0, weight: e.gold ? policy.quality.goldWeight : 1 };
      break;
    case 'TaskSubmitted':
      if (listed('latency') && e.estimatedSeconds && e.estimatedSeconds > 0) {
        const overrun = Math.max(0, e.durationSeconds / e.estimatedSeconds - 1);
        out.latency = { value: 2 ** (-overrun / policy.latency.overrunHalfScore), weight: 1 };
      }
      break;
    case 'OfferAccepted':
    case 'OfferDeclined':
      if (listed('latency') && e.responseSeconds !== undefined) {
        out.latency = { value: 2 ** (-Math.max(0, e.responseSeconds) / policy.latency.responseHalfScoreSeconds), weight: 1 };
      }
      if (listed('availability')) {
        if (e.type === 'OfferAccepted') out.availability = { value: 1, weight: 1 };
        else if (!legitimate(e.reason)) out.availability = { value: 0, weight: 1 };
      }
      break;
    case 'OfferExpired':
      if (listed('availability')) out.availability = { value: 0, weight: 1 };
      break;
    case 'TaskAbandoned':
      if (listed('availability') && !legitimate(e.reason)) out.availability = { value: 0, weight: 1 };
      break;
    default:
      break;
  }
  return out;
}

function halfLife(policy: PolicyDocument, c: Component): number {
  return policy[c].halfLifeDays;
}

/** Applies one event. Pure: the same state and event always give the same new state. */
export function evolve(policy: PolicyDocument, state: WorkerScoreState, e: ScoringEvent): WorkerScoreState {
  const at = Date.parse(e.occurredAt);
  const presence = evolvePresence(policy, state.presence, e.type, at);
  const obs = observationsOf(policy, e);
  if (Object.keys(obs).length === 0) return presence === state.presence ? state : { ...state, presence };
  const evidence = { ...state.evidence };
  const counts = { ...state.counts };
  for (const c of COMPONENTS) {
    const o = obs[c];
    if (!o) continue;
    evidence[c] = observe(evidence[c], o.value, o.weight, at, halfLife(policy, c));
    counts[c] += 1;
  }
  return { evidence, counts, presence };
}

function evolvePresence(policy: PolicyDocument, p: WorkerScoreState['presence'], type: ScoringEvent['type'], at: number): WorkerScoreState['presence'] {
  const firstSeen = p.firstSeen === null ? at : Math.min(p.firstSeen, at);
  if (type !== 'WorkerWentOnline' && type !== 'WorkerHeartbeat' && type !== 'WorkerWentOffline') {
    return type === 'WorkerRegistered' && firstSeen !== p.firstSeen ? { ...p, firstSeen } : p;
  }
  // Presence is a latest-wins state: an event older than the last one seen is ignored.
  if (p.lastSeen !== null && at < p.lastSeen) return p;
  const closed = closeLapsed(policy, p, at);
  if (type === 'WorkerWentOffline') {
    if (!closed.online || closed.since === null) return { ...closed, lastSeen: at, firstSeen };
    return { ...closed, online: false, since: null, lastSeen: at, firstSeen, onlineDays: addSpan(closed.onlineDays, closed.since, at, policy) };
  }
  return { ...closed, online: true, since: closed.online ? closed.since : at, lastSeen: at, firstSeen };
}

/**
 * Whether `after` differs from `before` in the time last seen alone (a heartbeat of a worker
 * already online, or one applied again): the same evidence, counts and presence otherwise.
 */
export function movesOnlyLastSeen(before: WorkerScoreState, after: WorkerScoreState): boolean {
  if (after.evidence !== before.evidence || after.counts !== before.counts) return false;
  const a = before.presence;
  const b = after.presence;
  return a.online === b.online && a.since === b.since && a.firstSeen === b.firstSeen && a.onlineDays === b.onlineDays;
}

/** `state` with the time last seen replaced: where that time is kept apart from the rest of the state. */
export function withLastSeen(state: WorkerScoreState, lastSeen: number): WorkerScoreState {
  return state.presence.lastSeen === lastSeen ? state : { ...state, presence: { ...state.presence, lastSeen } };
}

/** If heartbeats stopped for the policy's TTL before `at`, the online interval ended then. */
function closeLapsed(policy: PolicyDocument, p: WorkerScoreState['presence'], at: number): WorkerScoreState['presence'] {
  if (!p.online || p.since === null || p.lastSeen === null) return p;
  const lapseAt = p.lastSeen + policy.presence.heartbeatTtlSeconds * 1000;
  if (at <= lapseAt) return p;
  return { ...p, online: false, since: null, onlineDays: addSpan(p.onlineDays, p.since, lapseAt, policy) };
}

function addSpan(e: Evidence, from: number, to: number, policy: PolicyDocument): Evidence {
  const days = decayedDays(from, to, to, policy.availability.halfLifeDays);
  return days > 0 ? observe(e, 1, days, to, policy.availability.halfLifeDays) : e;
}

/** Whether the worker counts as online at `nowMs`: online, and heard from within the TTL. */
export function isOnline(policy: PolicyDocument, state: WorkerScoreState, nowMs: number): boolean {
  const p = state.presence;
  return p.online && p.lastSeen !== null && nowMs - p.lastSeen <= policy.presence.heartbeatTtlSeconds * 1000;
}

/** Share of the (decayed) time since first seen that the worker was online, as of `nowMs`. */
export function onlineShare(policy: PolicyDocument, state: WorkerScoreState, nowMs: number): number {
  const p = closeLapsed(policy, state.presence, nowMs);
  const h = policy.availability.halfLifeDays;
  if (p.firstSeen === null || nowMs <= p.firstSeen) return 0;
  const total = decayedDays(p.firstSeen, nowMs, nowMs, h);
  const closed = readEvidence(p.onlineDays, nowMs, h).weight;
  const open = p.online && p.since !== null ? decayedDays(p.since, nowMs, nowMs, h) : 0;
  return total > 0 ? clamp01((closed + open) / total) : 0;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** 95% half-width for a rate seen over `weight` observations (a Beta(1,1) start), capped at 0.5. */
function band(sum: number, weight: number): number {
  const p = (1 + sum) / (2 + weight);
  return Math.min(0.5, 1.96 * Math.sqrt((p * (1 - p)) / (weight + 3)));
}

/** The worker's scores at `nowMs` under the policy. Values are rounded to 6 decimals. */
export function scoreOf(policy: PolicyDocument, state: WorkerScoreState, nowMs: number): Scores {
  const read = (c: Component) => readEvidence(state.evidence[c], nowMs, halfLife(policy, c));
  const q = read('quality');
  const l = read('latency');
  const a = read('availability');
  const quality = q.sum / (policy.quality.priorReviews + q.weight);
  const latency = (0.5 * policy.latency.priorObservations + l.sum) / (policy.latency.priorObservations + l.weight);
  const answering = (0.5 * policy.availability.priorObservations + a.sum) / (policy.availability.priorObservations + a.weight);
  const w = policy.availability.onlineShareWeight;
  const availability = (1 - w) * answering + w * onlineShare(policy, state, nowMs);
  const values: Record<Component, number> = { quality: clamp01(quality), latency: clamp01(latency), availability: clamp01(availability) };
  const reads = { quality: q, latency: l, availability: a };
  const components = Object.fromEntries(
    COMPONENTS.map((c) => [
      c,
      {
        value: round6(values[c]),
        uncertainty: round6(band(reads[c].sum, reads[c].weight)),
        evidence: state.counts[c],
        effectiveWeight: round6(reads[c].weight),
      },
    ]),
  ) as Record<Component, ComponentScore>;
  const composite = round6(clamp01(COMPONENTS.reduce((sum, c) => sum + policy.weights[c] * values[c], 0)));
  return { components, composite };
}

/** Per component, how much applying `e` moved the score (as of the event's own time). */
export function changesOf(policy: PolicyDocument, before: WorkerScoreState, after: WorkerScoreState, atMs: number): Record<Component | 'composite', number> {
  const a = scoreOf(policy, before, atMs);
  const b = scoreOf(policy, after, atMs);
  return {
    quality: round6(b.components.quality.value - a.components.quality.value),
    latency: round6(b.components.latency.value - a.components.latency.value),
    availability: round6(b.components.availability.value - a.components.availability.value),
    composite: round6(b.composite - a.composite),
  };
}
