import { z } from 'zod';
import { Currency, eventSchema, Id, IsoDateTime, LIMITS, ShortText, Tag, TagList } from '../envelope';

export const TaskPostedData = z.object({
  taskId: Id,
  queue: Tag,
  requiredSkills: TagList.default([]),
  languages: TagList.default([]),
  requiredQualifications: TagList.default([]),
  priority: z.number().int().min(0).max(9).default(5),
  payCents: z.number().int().min(0).max(100_000_000),
  currency: Currency,
  estimatedSeconds: z.number().int().min(1).max(7 * 24 * 3600),
  deadline: IsoDateTime.optional(),
  replicas: z.number().int().min(1).max(10).default(1),
  excludedWorkerIds: z.array(Id).max(LIMITS.listItems).optional(),
  offerTtlSeconds: z.number().int().min(5).max(24 * 3600).optional(),
});
export type TaskPostedData = z.infer<typeof TaskPostedData>;

export const TaskPosted = eventSchema('TaskPosted', TaskPostedData);
export type TaskPosted = z.infer<typeof TaskPosted>;

export const TaskCancelled = eventSchema('TaskCancelled', z.object({ taskId: Id, reason: ShortText }));
export type TaskCancelled = z.infer<typeof TaskCancelled>;

/** Every event type on `gig.tasks.v1`. */
export const TaskEvent = z.discriminatedUnion('type', [TaskPosted, TaskCancelled]);
export type TaskEvent = z.infer<typeof TaskEvent>;
