import { z } from 'zod';
import { COMPONENTS, DECLINE_REASONS, EVIDENCE_EVENTS, type PolicyDocument } from './policy';

const unit = z.number().min(0).max(1);
const halfLifeDays = z.number().min(1).max(365);
const components = <T extends z.ZodType>(t: T) => z.object({ quality: t, latency: t, availability: t });

/** Every parameter with its bounds; a policy outside them cannot be published. */
export const PolicyDocumentSchema = z.object({
  version: z.number().int().min(1),
  weights: components(unit).refine((w) => Math.abs(COMPONENTS.reduce((s, c) => s + w[c], 0) - 1) < 1e-9, {
    message: 'weights must sum to 1',
  }),
  events: components(z.array(z.enum(EVIDENCE_EVENTS)).max(EVIDENCE_EVENTS.length)),
  quality: z.object({
    halfLifeDays,
    goldWeight: z.number().min(1).max(10),
    priorReviews: z.number().min(0.5).max(50),
  }),
  latency: z.object({
    halfLifeDays,
    responseHalfScoreSeconds: z.number().min(1).max(3_600),
    overrunHalfScore: z.number().min(0.1).max(10),
    priorObservations: z.number().min(0).max(50),
  }),
  availability: z.object({
    halfLifeDays,
    legitimateReasons: z.array(z.enum(DECLINE_REASONS)).refine((r) => r.includes('personal_emergency') && r.includes('platform_issue'), {
      message: 'personal_emergency and platform_issue must always be legitimate reasons',
    }),
    onlineShareWeight: unit,
    priorObservations: z.number().min(0).max(50),
  }),
  presence: z.object({ heartbeatTtlSeconds: z.number().int().min(10).max(3_600) }),
  maxEventAgeDays: z.number().min(1).max(365),
  dispatch: z.object({
    offerTtlSeconds: z.number().int().min(5).max(86_400),
    maxAttempts: z.number().int().min(1).max(50),
    maxWaitSeconds: z.number().int().min(10).max(30 * 86_400),
    topK: z.number().int().min(1).max(100),
    batch: z.object({
      enabled: z.boolean(),
      windowMs: z.number().int().min(10).max(10_000),
      candidatesPerTask: z.number().int().min(1).max(50),
    }),
  }),
  fairness: z.object({
    newcomerShare: z.number().min(0).max(0.5),
    newcomerMaxReviews: z.number().min(0).max(100),
    maxQueueShare: z.number().min(0.01).max(1),
    queueShareWindow: z.number().int().min(10).max(10_000),
    queueShareMinSample: z.number().int().min(1).max(10_000),
  }),
}) satisfies z.ZodType<PolicyDocument>;

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** What a platform sends to make the next version: the changes, and why. */
export const PolicyChangeRequest = z.object({
  rationale: z.string().trim().min(10, 'explain the change in at least 10 characters').max(4_000),
  changes: z.record(z.string(), z.unknown()).refine((c) => !('version' in c), { message: 'the version is assigned, not chosen' }),
});
export type PolicyChangeRequest = z.infer<typeof PolicyChangeRequest>;

/** Applies `changes` (any subset of parameters) on top of `base` to make the next version. */
export function nextPolicy(base: PolicyDocument, changes: DeepPartial<PolicyDocument> | Record<string, unknown>): unknown {
  return { ...(merge(base, changes) as Record<string, unknown>), version: base.version + 1 };
}

function merge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch === undefined ? base : patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    out[k] = merge(base[k], v);
  }
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
