import { z } from 'zod';
import { eventSchema, IsoDateTime } from '../envelope';

/**
 * A published scoring policy. The document itself is defined by the scoring library; on the
 * wire it is carried as JSON together with the hash of its canonical form.
 */
export const PolicyPublished = eventSchema(
  'PolicyPublished',
  z.object({
    version: z.number().int().min(1),
    contentHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest'),
    publishedAt: IsoDateTime,
    rationale: z.string().min(1).max(4_000),
    document: z.record(z.string(), z.unknown()),
  }),
);
export type PolicyPublished = z.infer<typeof PolicyPublished>;

/** Every event type on `gig.policies.v1`. */
export const PolicyEvent = z.discriminatedUnion('type', [PolicyPublished]);
export type PolicyEvent = z.infer<typeof PolicyEvent>;
