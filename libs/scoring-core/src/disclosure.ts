import { COMPONENTS, type Component, type PolicyDocument } from './policy';

/** A policy in plain language: what a platform must disclose about its automated decisions. */
export interface PolicyDisclosure {
  readonly summary: string;
  /** Each component's share of the composite, most important first. */
  readonly importance: { component: Component; weightPercent: number; rank: number }[];
  /** Which events feed which component. */
  readonly evidence: Record<Component, { events: readonly string[]; text: string }>;
  /** Every parameter with its value and what it means. */
  readonly parameters: { parameter: string; value: unknown; meaning: string }[];
}

const pct = (x: number) => Math.round(x * 1000) / 10;

export function describePolicy(p: PolicyDocument): PolicyDisclosure {
  const importance = [...COMPONENTS]
    .sort((a, b) => p.weights[b] - p.weights[a] || a.localeCompare(b))
    .map((component, i) => ({ component, weightPercent: pct(p.weights[component]), rank: i + 1 }));
  const legit = p.availability.legitimateReasons.join(', ');
  return {
    summary:
      `Each task is offered to the eligible worker with the highest composite score. The composite is ` +
      importance.map((i) => `${i.weightPercent}% ${i.component}`).join(', ') +
      `. Eligibility (skills, languages, qualifications, being online, free capacity, not suspended) is a hard rule and is never traded against the score. ` +
      `In ${pct(p.fairness.newcomerShare)}% of decisions the best eligible newcomer is offered the task first, and a worker holding more than ${pct(p.fairness.maxQueueShare)}% of a queue's recent offers is placed below the others; each such adjustment is recorded in the decision.`,
    importance,
    evidence: {
      quality: {
        events: p.events.quality,
        text: `Reviews of your work: an approval counts as 1, a rejection as 0; a review of a gold (known-answer) task counts ${p.quality.goldWeight} times. You start as if you had ${p.quality.priorReviews} unapproved reviews, so your quality rises as approvals accumulate. Older reviews count less: half after ${p.quality.halfLifeDays} days.`,
      },
      latency: {
        events: p.events.latency,
        text: `How quickly you answer offers (an answer after ${p.latency.responseHalfScoreSeconds} s scores 0.5, faster scores more) and how your completion time compares with the task's estimate (taking ${pct(p.latency.overrunHalfScore)}% longer than the estimate scores 0.5). Half weight after ${p.latency.halfLifeDays} days.`,
      },
      availability: {
        events: p.events.availability,
        text: `${pct(1 - p.availability.onlineShareWeight)}% from answering offers (an acceptance counts 1; a decline, an expiry or an abandonment counts 0) and ${pct(p.availability.onlineShareWeight)}% from your share of recent time online. A decline or abandonment with reason ${legit} never lowers it. Half weight after ${p.availability.halfLifeDays} days.`,
      },
    },
    parameters: [
      ...COMPONENTS.map((c) => ({ parameter: `weights.${c}`, value: p.weights[c], meaning: `share of the composite score given to ${c}` })),
      { parameter: 'quality.halfLifeDays', value: p.quality.halfLifeDays, meaning: 'days after which a review counts half' },
      { parameter: 'quality.goldWeight', value: p.quality.goldWeight, meaning: 'how many ordinary reviews one gold-task review counts as' },
      { parameter: 'quality.priorReviews', value: p.quality.priorReviews, meaning: 'unapproved reviews assumed before your first, so few reviews cannot outrank many' },
      { parameter: 'latency.halfLifeDays', value: p.latency.halfLifeDays, meaning: 'days after which a latency observation counts half' },
      { parameter: 'latency.responseHalfScoreSeconds', value: p.latency.responseHalfScoreSeconds, meaning: 'seconds to answer an offer that score 0.5' },
      { parameter: 'latency.overrunHalfScore', value: p.latency.overrunHalfScore, meaning: 'overrun of the estimate (as a share of it) that scores 0.5' },
      { parameter: 'latency.priorObservations', value: p.latency.priorObservations, meaning: 'neutral observations assumed before your first' },
      { parameter: 'availability.halfLifeDays', value: p.availability.halfLifeDays, meaning: 'days after which an availability observation counts half' },
      { parameter: 'availability.legitimateReasons', value: p.availability.legitimateReasons, meaning: 'decline and abandonment reasons that never lower availability' },
      { parameter: 'availability.onlineShareWeight', value: p.availability.onlineShareWeight, meaning: 'share of availability that is recent time online' },
      { parameter: 'availability.priorObservations', value: p.availability.priorObservations, meaning: 'neutral observations assumed before your first' },
      { parameter: 'presence.heartbeatTtlSeconds', value: p.presence.heartbeatTtlSeconds, meaning: 'seconds without a heartbeat after which you count as offline' },
      { parameter: 'maxEventAgeDays', value: p.maxEventAgeDays, meaning: 'evidence older than this when it arrives is not applied' },
      { parameter: 'dispatch.offerTtlSeconds', value: p.dispatch.offerTtlSeconds, meaning: 'seconds an offer stays open unless the task sets its own' },
      { parameter: 'dispatch.maxAttempts', value: p.dispatch.maxAttempts, meaning: 'offers made for one task before it is declared unassignable' },
      { parameter: 'dispatch.maxWaitSeconds', value: p.dispatch.maxWaitSeconds, meaning: 'seconds a task may wait for a worker before it is declared unassignable' },
      { parameter: 'dispatch.topK', value: p.dispatch.topK, meaning: 'ranked candidates kept in each decision record' },
      { parameter: 'dispatch.batch.enabled', value: p.dispatch.batch.enabled, meaning: 'whether tasks are collected and assigned together, optimally, instead of one at a time' },
      { parameter: 'dispatch.batch.windowMs', value: p.dispatch.batch.windowMs, meaning: 'milliseconds tasks are collected for in batch mode' },
      { parameter: 'dispatch.batch.candidatesPerTask', value: p.dispatch.batch.candidatesPerTask, meaning: 'best candidates per task the batch assignment chooses among' },
      { parameter: 'fairness.newcomerShare', value: p.fairness.newcomerShare, meaning: 'share of decisions in which the best eligible newcomer is offered the task first' },
      { parameter: 'fairness.newcomerMaxReviews', value: p.fairness.newcomerMaxReviews, meaning: 'review evidence below which a worker counts as a newcomer' },
      { parameter: 'fairness.maxQueueShare', value: p.fairness.maxQueueShare, meaning: "largest share of a queue's recent offers one worker may get before others are preferred" },
      { parameter: 'fairness.queueShareWindow', value: p.fairness.queueShareWindow, meaning: 'recent offers in a queue the share is measured over' },
      { parameter: 'fairness.queueShareMinSample', value: p.fairness.queueShareMinSample, meaning: 'recent offers a queue needs before the share cap applies' },
    ],
  };
}
