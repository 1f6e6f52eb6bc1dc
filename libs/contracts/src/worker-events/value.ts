import { z } from 'zod';
import { eventSchema, Id, LIMITS, ShortText, Tag, TagList } from '../envelope';

/** Self-reported groups, used only for outcome reports and never read by scoring or dispatch. */
export const Cohort = z
  .record(Tag, z.string().min(1).max(64))
  .refine((c) => Object.keys(c).length <= 10, 'at most 10 cohort attributes');

const WorkerProfileFields = {
  skills: TagList,
  languages: TagList,
  qualifications: TagList,
  capacity: z.number().int().min(1).max(100),
  cohort: Cohort.optional(),
};

export const WorkerRegistered = eventSchema(
  'WorkerRegistered',
  z.object({
    workerId: Id,
    ...WorkerProfileFields,
    languages: TagList.default([]),
    qualifications: TagList.default([]),
  }),
);
export const WorkerProfileUpdated = eventSchema(
  'WorkerProfileUpdated',
  z.object({
    workerId: Id,
    skills: WorkerProfileFields.skills.optional(),
    languages: WorkerProfileFields.languages.optional(),
    qualifications: WorkerProfileFields.qualifications.optional(),
    capacity: WorkerProfileFields.capacity.optional(),
    cohort: WorkerProfileFields.cohort,
  }),
);
const WorkerOnly = z.object({ workerId: Id });
export const WorkerWentOnline = eventSchema('WorkerWentOnline', WorkerOnly);
export const WorkerWentOffline = eventSchema('WorkerWentOffline', WorkerOnly);
export const WorkerHeartbeat = eventSchema('WorkerHeartbeat', WorkerOnly);

export const DeclineReason = z.enum(['unavailable', 'personal_emergency', 'platform_issue', 'not_qualified', 'other']);
export type DeclineReason = z.infer<typeof DeclineReason>;

const OfferResponse = { workerId: Id, offerId: Id, taskId: Id };
export const OfferAccepted = eventSchema('OfferAccepted', z.object(OfferResponse));
export const OfferDeclined = eventSchema(
  'OfferDeclined',
  z.object({ ...OfferResponse, reason: DeclineReason.optional() }),
);
export const TaskSubmitted = eventSchema(
  'TaskSubmitted',
  z.object({ workerId: Id, taskId: Id, durationSeconds: z.number().min(0).max(30 * 24 * 3600) }),
);
export const TaskReviewed = eventSchema(
  'TaskReviewed',
  z.object({
    workerId: Id,
    taskId: Id,
    verdict: z.enum(['approved', 'rejected']),
    quality: z.number().min(0).max(1).optional(),
    gold: z.boolean().default(false),
  }),
);
export const TaskAbandoned = eventSchema(
  'TaskAbandoned',
  z.object({ workerId: Id, taskId: Id, reason: DeclineReason.optional() }),
);
export const WorkerSuspended = eventSchema(
  'WorkerSuspended',
  z.object({ workerId: Id, reason: z.string().min(1).max(LIMITS.longText) }),
);
export const WorkerReinstated = eventSchema('WorkerReinstated', z.object({ workerId: Id, reason: ShortText.optional() }));

/** Every event type on `gig.worker-events.v1`. */
export const WorkerEvent = z.discriminatedUnion('type', [
  WorkerRegistered,
  WorkerProfileUpdated,
  WorkerWentOnline,
  WorkerWentOffline,
  WorkerHeartbeat,
  OfferAccepted,
  OfferDeclined,
  TaskSubmitted,
  TaskReviewed,
  TaskAbandoned,
  WorkerSuspended,
  WorkerReinstated,
]);
export type WorkerEvent = z.infer<typeof WorkerEvent>;
export type WorkerRegistered = z.infer<typeof WorkerRegistered>;
export type WorkerProfileUpdated = z.infer<typeof WorkerProfileUpdated>;
export type OfferAccepted = z.infer<typeof OfferAccepted>;
export type OfferDeclined = z.infer<typeof OfferDeclined>;
export type TaskReviewed = z.infer<typeof TaskReviewed>;
export type TaskSubmitted = z.infer<typeof TaskSubmitted>;
export type TaskAbandoned = z.infer<typeof TaskAbandoned>;
