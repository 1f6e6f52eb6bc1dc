import { z } from 'zod';

/** One problem found in a rejected message, with the path of the field at fault. */
export const ValidationIssue = z.object({ path: z.string(), message: z.string() });
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/**
 * What lands on `<topic>.dlq` when a message is refused. The original bytes are kept exactly
 * (base64) so nothing is lost and the message can be repaired and replayed.
 */
export const DeadLetterRecord = z.object({
  sourceTopic: z.string(),
  partition: z.number().int().min(0),
  offset: z.string().regex(/^\d+$/),
  keyBase64: z.string().nullable(),
  valueBase64: z.string().nullable(),
  headers: z.record(z.string(), z.string()),
  error: z.object({
    kind: z.enum(['invalid_json', 'invalid_event', 'rejected', 'too_large']),
    message: z.string(),
    issues: z.array(ValidationIssue),
  }),
  consumerGroup: z.string(),
  deadLetteredAt: z.iso.datetime({ offset: true }),
});
export type DeadLetterRecord = z.infer<typeof DeadLetterRecord>;
