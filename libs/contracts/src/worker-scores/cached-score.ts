import { z } from 'zod';

/** A worker's current score as kept in Redis under `score:<workerId>` for the dispatcher. */
export const CachedScore = z.object({
  workerId: z.string(),
  policyVersion: z.number().int(),
  composite: z.number(),
  quality: z.number(),
  latency: z.number(),
  availability: z.number(),
  /** Evidence behind quality (reviews, decayed): lets fairness rules find workers with little history. */
  qualityEvidence: z.number(),
  scoredAt: z.string(),
});
export type CachedScore = z.infer<typeof CachedScore>;
