import { z } from 'zod';
import { Currency, eventSchema, Id, IsoDateTime, ShortText } from '../envelope';

export const OfferMade = eventSchema(
  'OfferMade',
  z.object({
    offerId: Id,
    taskId: Id,
    workerId: Id,
    replica: z.number().int().min(1).max(10),
    attempt: z.number().int().min(1),
    expiresAt: IsoDateTime,
    decisionId: Id,
    payCents: z.number().int().min(0),
    currency: Currency,
  }),
);
const OfferClosed = z.object({ offerId: Id, taskId: Id, workerId: Id, reason: ShortText });
export const OfferExpired = eventSchema('OfferExpired', OfferClosed);
export const OfferWithdrawn = eventSchema('OfferWithdrawn', OfferClosed);
export const TaskAssigned = eventSchema(
  'TaskAssigned',
  z.object({ taskId: Id, workerId: Id, offerId: Id, replica: z.number().int().min(1).max(10) }),
);
const Reasons = z.array(z.object({ code: ShortText, count: z.number().int().min(0).optional(), text: ShortText.optional() }));
export const TaskWaiting = eventSchema('TaskWaiting', z.object({ taskId: Id, replica: z.number().int().min(1).optional(), reasons: Reasons }));
export const TaskUnassignable = eventSchema('TaskUnassignable', z.object({ taskId: Id, replica: z.number().int().min(1).optional(), reasons: Reasons }));

/** Every event type on `gig.offers.v1`. */
export const OfferEvent = z.discriminatedUnion('type', [
  OfferMade,
  OfferExpired,
  OfferWithdrawn,
  TaskAssigned,
  TaskWaiting,
  TaskUnassignable,
]);
export type OfferEvent = z.infer<typeof OfferEvent>;
export type OfferMade = z.infer<typeof OfferMade>;
export type TaskAssigned = z.infer<typeof TaskAssigned>;
export type TaskWaiting = z.infer<typeof TaskWaiting>;
