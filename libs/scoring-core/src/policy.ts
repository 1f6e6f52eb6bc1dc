import { contentHash } from '@clearwork/audit-core';

/** The score components every policy weighs. */
export const COMPONENTS = ['quality', 'latency', 'availability'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Worker events that can carry evidence, as named on `gig.worker-events.v1` and `gig.offers.v1`. */
export const EVIDENCE_EVENTS = ['TaskReviewed', 'TaskSubmitted', 'OfferAccepted', 'OfferDeclined', 'OfferExpired', 'TaskAbandoned'] as const;
export type EvidenceEvent = (typeof EVIDENCE_EVENTS)[number];

export const DECLINE_REASONS = ['unavailable', 'personal_emergency', 'platform_issue', 'not_qualified', 'other'] as const;
export type DeclineReasonCode = (typeof DECLINE_REASONS)[number];

/**
 * A scoring and dispatch policy: every number that affects a score or a decision. Versions
 * are immutable once published; the content hash identifies one exactly.
 */
export interface PolicyDocument {
  readonly version: number;
  /** Relative importance of each component in the composite; they sum to 1. */
  readonly weights: Readonly<Record<Component, number>>;
  /** Which events feed which component. An event not listed changes no score. */
  readonly events: Readonly<Record<Component, readonly EvidenceEvent[]>>;
  readonly quality: {
    /** Evidence loses half its weight after this many days. */
    readonly halfLifeDays: number;
    /** A review of a gold (known-answer) task counts this many times. */
    readonly goldWeight: number;
    /**
     * Reviews assumed before any real one, all counted as not approved: a newcomer starts low and
     * rises with evidence, so a worker with few reviews never outranks a proven worker with the
     * same approval rate.
     */
    readonly priorReviews: number;
  };
  readonly latency: {
    readonly halfLifeDays: number;
    /** An answer to an offer after this many seconds scores 0.5; faster scores higher. */
    readonly responseHalfScoreSeconds: number;
    /** Taking this much longer than the estimate (as a share of it) scores 0.5. */
    readonly overrunHalfScore: number;
    /** Neutral (0.5) observations assumed before any real one. */
    readonly priorObservations: number;
  };
  readonly availability: {
    readonly halfLifeDays: number;
    /** Declines and abandonments with these reasons never lower availability. */
    readonly legitimateReasons: readonly DeclineReasonCode[];
    /** Share of availability that is recent time online; the rest is answering offers. */
    readonly onlineShareWeight: number;
    readonly priorObservations: number;
  };
  readonly presence: {
    /** A worker whose heartbeats stop for this long is treated as offline. */
    readonly heartbeatTtlSeconds: number;
  };
  /** Evidence older than this when it arrives is not applied (it is recorded as ignored). */
  readonly maxEventAgeDays: number;
  readonly dispatch: {
    readonly offerTtlSeconds: number;
    readonly maxAttempts: number;
    /** A replica still not assigned this long after the task was posted is declared unassignable. */
    readonly maxWaitSeconds: number;
    readonly topK: number;
    /** Batch mode: collect tasks for `windowMs` and assign them together, optimally. */
    readonly batch: { readonly enabled: boolean; readonly windowMs: number; readonly candidatesPerTask: number };
  };
  /** Adjustments to the ranking, each recorded in the decision that it changed. */
  readonly fairness: {
    /** Share of decisions in which the best eligible newcomer is moved to the top. */
    readonly newcomerShare: number;
    /** A worker with less review evidence than this counts as a newcomer. */
    readonly newcomerMaxReviews: number;
    /** A worker above this share of a queue's recent offers is moved below those who are not. */
    readonly maxQueueShare: number;
    /** How many recent offers in the queue the share is measured over. */
    readonly queueShareWindow: number;
    /** The cap applies only once the queue has at least this many recent offers. */
    readonly queueShareMinSample: number;
  };
}

/** Default policy v1, created by the scoring service's first migration. */
export const DEFAULT_POLICY: PolicyDocument = {
  version: 1,
  weights: { quality: 0.5, latency: 0.2, availability: 0.3 },
  events: {
    quality: ['TaskReviewed'],
    latency: ['OfferAccepted', 'OfferDeclined', 'TaskSubmitted'],
    availability: ['OfferAccepted', 'OfferDeclined', 'OfferExpired', 'TaskAbandoned'],
  },
  quality: { halfLifeDays: 30, goldWeight: 3, priorReviews: 2 },
  latency: { halfLifeDays: 14, responseHalfScoreSeconds: 30, overrunHalfScore: 1, priorObservations: 2 },
  availability: { halfLifeDays: 14, legitimateReasons: ['personal_emergency', 'platform_issue'], onlineShareWeight: 0.3, priorObservations: 2 },
  presence: { heartbeatTtlSeconds: 120 },
  maxEventAgeDays: 90,
  dispatch: { offerTtlSeconds: 60, maxAttempts: 5, maxWaitSeconds: 86_400, topK: 20, batch: { enabled: false, windowMs: 250, candidatesPerTask: 10 } },
  fairness: { newcomerShare: 0.1, newcomerMaxReviews: 5, maxQueueShare: 0.5, queueShareWindow: 200, queueShareMinSample: 20 },
};

/** SHA-256 of the policy's canonical JSON: the identity auditors check a decision against. */
export function policyHash(policy: PolicyDocument): string {
  return contentHash(policy);
}
