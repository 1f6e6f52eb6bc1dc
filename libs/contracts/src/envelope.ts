import { z } from 'zod';

/** Bounds shared by every message so hostile input cannot grow without limit. */
export const LIMITS = {
  idLength: 128,
  shortText: 256,
  longText: 4_000,
  listItems: 100,
} as const;

export const Id = z
  .string()
  .min(1)
  .max(LIMITS.idLength)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'may contain only letters, digits and . _ : @ -');
export const Uuid = z.uuid();
export const IsoDateTime = z.iso.datetime({ offset: true });
export const ShortText = z.string().min(1).max(LIMITS.shortText);
export const Tag = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : -');
export const TagList = z.array(Tag).max(LIMITS.listItems);
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');

/** The part every message shares: `{ eventId, type, occurredAt, data }`. */
export const EnvelopeBase = z.object({
  eventId: Uuid,
  occurredAt: IsoDateTime,
});

/** Builds the strict schema of one event type: envelope fields plus a typed `data`. */
export function eventSchema<T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.object({
    eventId: Uuid,
    type: z.literal(type),
    occurredAt: IsoDateTime,
    data,
  });
}

export type Envelope<T extends string = string, D = unknown> = {
  eventId: string;
  type: T;
  occurredAt: string;
  data: D;
};
