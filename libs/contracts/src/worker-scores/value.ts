import { z } from 'zod';
import { eventSchema, Id, IsoDateTime } from '../envelope';

const Unit = z.number().min(0).max(1);

/** One component of a worker's score with the evidence behind it. */
export const ScoreComponent = z.object({
  value: Unit,
  /** Half-width of the uncertainty band around `value`, in score units. */
  uncertainty: Unit,
  evidence: z.number().min(0),
});
export type ScoreComponent = z.infer<typeof ScoreComponent>;

export const WorkerScored = eventSchema(
  'WorkerScored',
  z.object({
    workerId: Id,
    policyVersion: z.number().int().min(1),
    components: z.object({ quality: ScoreComponent, latency: ScoreComponent, availability: ScoreComponent }),
    composite: Unit,
    /** The event that caused this score, absent for a recomputation under a new policy. */
    causeEventId: z.uuid().optional(),
    scoredAt: IsoDateTime,
  }),
);
export type WorkerScored = z.infer<typeof WorkerScored>;

/** Every event type on the compacted `gig.worker-scores.v1`. */
export const WorkerScoreEvent = z.discriminatedUnion('type', [WorkerScored]);
export type WorkerScoreEvent = z.infer<typeof WorkerScoreEvent>;
