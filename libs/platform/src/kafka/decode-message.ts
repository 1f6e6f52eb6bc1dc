import { describeIssues, type DeadLetterRecord, type ValidationIssue } from '@clearwork/contracts';
import type { z } from 'zod';

/** Largest message value accepted; anything bigger is dead-lettered unread. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

export type DecodeFailure = DeadLetterRecord['error'];
export type Decoded<T> = { ok: true; event: T } | { ok: false; error: DecodeFailure };

/**
 * Bytes to a validated event, or the reason it is refused. Never throws: a bad message must
 * become a dead letter, not an exception that would stall its partition.
 */
export function decodeMessage<S extends z.ZodType>(schema: S, value: Buffer | null): Decoded<z.infer<S>> {
  if (value === null || value.length === 0) {
    return fail('invalid_json', 'message has no value', []);
  }
  if (value.length > MAX_MESSAGE_BYTES) {
    return fail('too_large', `message is ${value.length} bytes; the limit is ${MAX_MESSAGE_BYTES}`, []);
  }
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return fail('invalid_json', `value is not JSON: ${(error as Error).message}`, []);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = describeIssues(result.error);
    return fail('invalid_event', `value is not a valid event: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  return { ok: true, event: result.data };
}

function fail(kind: DecodeFailure['kind'], message: string, issues: ValidationIssue[]): { ok: false; error: DecodeFailure } {
  return { ok: false, error: { kind, message, issues } };
}
