import { DeadLetterError } from './dead-letter-error';
import type { BatchedEvent, BatchRejection } from './kafka-event-server';

/** What `apply` may return besides anything the caller needs: events it refused without failing the unit. */
export interface UnitOutcome {
  readonly rejections?: readonly BatchRejection[];
}

/**
 * Applies a fetched batch in order, `chunkSize` events per unit of work. `apply` must be atomic
 * (one transaction): when it refuses one event by throwing a DeadLetterError, nothing of the
 * chunk stays, and the chunk is applied again one event per unit, so the refused event is
 * rejected with its reason and the others land as they would have alone. `after` runs once per
 * chunk with what its units gave (work that must follow their commit). Returns every rejection.
 */
export async function applyInUnits<E, R extends object>(
  batch: readonly BatchedEvent<E>[],
  chunkSize: number,
  apply: (chunk: readonly BatchedEvent<E>[]) => Promise<R>,
  after?: (outcomes: readonly R[]) => Promise<void>,
): Promise<BatchRejection[]> {
  const rejections: BatchRejection[] = [];
  for (let i = 0; i < batch.length; i += chunkSize) {
    const chunk = batch.slice(i, i + chunkSize);
    const outcomes: R[] = [];
    try {
      outcomes.push(await apply(chunk));
    } catch (error) {
      if (!(error instanceof DeadLetterError)) throw error;
      if (chunk.length === 1) rejections.push({ item: chunk[0], error });
      else {
        for (const item of chunk) {
          try {
            outcomes.push(await apply([item]));
          } catch (one) {
            if (!(one instanceof DeadLetterError)) throw one;
            rejections.push({ item, error: one });
          }
        }
      }
    }
    for (const o of outcomes) rejections.push(...((o as UnitOutcome).rejections ?? []));
    await after?.(outcomes);
  }
  return rejections;
}
