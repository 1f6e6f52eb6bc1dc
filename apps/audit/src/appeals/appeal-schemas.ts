import { z } from 'zod';

/** A worker's contest of a decision. */
export const AppealRequest = z.object({ statement: z.string().trim().min(10, 'say what you contest in at least 10 characters').max(4_000) });
/** A reviewer's resolution: the decision stands (`upheld`) or was wrong (`overturned`), with the reasons. */
export const AppealResolution = z.object({
  outcome: z.enum(['upheld', 'overturned']),
  note: z.string().trim().min(10, 'explain the resolution in at least 10 characters').max(4_000),
  remedy: z.string().trim().min(1).max(1_000).optional(),
});
export type AppealResolution = z.infer<typeof AppealResolution>;
export const AppealQuery = z.object({
  status: z.enum(['open', 'in_review', 'resolved']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export type AppealStatus = 'open' | 'in_review' | 'resolved';

export interface Appeal {
  readonly appealId: string;
  readonly decisionId: string;
  readonly taskId: string;
  readonly workerId: string;
  readonly status: AppealStatus;
  readonly statement: string;
  readonly reviewer: string | null;
  readonly resolution: (AppealResolution & { resolvedAt: string }) | null;
  readonly filedAt: string;
  readonly updatedAt: string;
}
