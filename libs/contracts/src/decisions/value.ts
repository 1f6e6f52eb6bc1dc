import { z } from 'zod';
import { eventSchema, Id, IsoDateTime, ShortText } from '../envelope';

/** Reason codes of the hard eligibility rules. */
export const FilterReason = z.enum([
  'skill_missing',
  'language_mismatch',
  'qualification_missing',
  'offline',
  'suspended',
  'at_capacity',
  'excluded',
  'already_on_task',
  'declined_before',
]);
export type FilterReason = z.infer<typeof FilterReason>;

export const Adjustment = z.object({ kind: ShortText, delta: z.number(), reason: ShortText });
export type Adjustment = z.infer<typeof Adjustment>;

/** One ranked candidate as the decision saw it. */
export const RankedCandidate = z.object({
  rank: z.number().int().min(1),
  workerId: Id,
  components: z.record(z.string(), z.number()),
  baseScore: z.number(),
  adjustments: z.array(Adjustment),
  finalScore: z.number(),
});
export type RankedCandidate = z.infer<typeof RankedCandidate>;

/**
 * How a decision broke ties between candidates of equal final score (then by worker id):
 * `fnv1a-pair` is FNV-1a of `taskId:workerId`; `fmix32-keys` is MurmurHash3's 32-bit finaliser of
 * FNV-1a(taskId) XOR FNV-1a(workerId). Lower values rank first.
 */
export const TieBreakRule = z.enum(['fnv1a-pair', 'fmix32-keys']);
export type TieBreakRule = z.infer<typeof TieBreakRule>;

export const DecisionRecordedData = z.object({
  decisionId: Id,
  taskId: Id,
  replica: z.number().int().min(1).max(10),
  attempt: z.number().int().min(1),
  decidedAt: IsoDateTime,
  mode: z.enum(['online', 'batch']).default('online'),
  policy: z.object({ version: z.number().int().min(1), contentHash: z.string().min(1).max(128) }),
  poolSize: z.number().int().min(0),
  filteredOut: z.partialRecord(FilterReason, z.number().int().min(0)),
  topK: z.array(RankedCandidate),
  selectedWorkerId: Id.nullable(),
  cutoffScore: z.number().nullable(),
  inputDigest: z.string().min(1).max(128),
  /** The tie-break rule of the ranking; absent in records made before it was named, which used `fnv1a-pair`. */
  tieBreak: TieBreakRule.optional(),
  summary: z.string().max(1_000),
  /** Present for batch decisions: the batch and the optimum it reached, beside what greedy would have. */
  batch: z
    .object({
      batchId: z.string(),
      replicas: z.number().int().min(1),
      assigned: z.number().int().min(0),
      objective: z.number(),
      greedyObjective: z.number(),
    })
    .optional(),
});
export type DecisionRecordedData = z.infer<typeof DecisionRecordedData>;

export const DecisionRecorded = eventSchema('DecisionRecorded', DecisionRecordedData);
export type DecisionRecorded = z.infer<typeof DecisionRecorded>;

/** Every event type on `gig.decisions.v1`. */
export const DecisionEvent = z.discriminatedUnion('type', [DecisionRecorded]);
export type DecisionEvent = z.infer<typeof DecisionEvent>;
