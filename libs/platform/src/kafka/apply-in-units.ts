import { DeadLetterError } from './dead-letter-error';
import type { BatchedEvent, BatchRejection } from './kafka-event-server';

/** What `apply` may return besides anything the caller needs: events it refused without failing the unit. */
export interface UnitOutcome {
  readonly rejections?: readonly BatchRejection[];
}

/**
 * Applies a fetched batch in order, `chunkSize` events per unit of work. `apply` must be atomic
 * (one transaction): when it refuses one event by throwing a DeadLetterError, nothing of the
 * chunk stays, and each half of the chunk is applied again the same way, down to the refused
 * events alone, which are rejected with their reason; the others land as they would have
 * without them (about 2·log2(n) units for one refused among n, where a unit per event took n).
 * `after` runs once per chunk with what its units gave (work that must follow their commit).
 * Returns every rejection.
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
    const refused: BatchRejection[] = [];
    await applySplitting(chunk, apply, outcomes, refused);
    for (const o of outcomes) refused.push(...((o as UnitOutcome).rejections ?? []));
    // In the order the events came, so they are dead-lettered in it.
    const at = new Map<BatchedEvent, number>(chunk.map((item, n) => [item, n]));
    rejections.push(...refused.sort((a, b) => (at.get(a.item) ?? 0) - (at.get(b.item) ?? 0)));
    await after?.(outcomes);
  }
  return rejections;
}

/** Applies `chunk` in one unit; if an event of it is refused, each half the same way, in order. */
async function applySplitting<E, R>(
  chunk: readonly BatchedEvent<E>[],
  apply: (chunk: readonly BatchedEvent<E>[]) => Promise<R>,
  outcomes: R[],
  rejections: BatchRejection[],
): Promise<void> {
  try {
    outcomes.push(await apply(chunk));
  } catch (error) {
    if (!(error instanceof DeadLetterError)) throw error;
    if (chunk.length === 1) {
      rejections.push({ item: chunk[0], error });
      return;
    }
    const half = Math.ceil(chunk.length / 2);
    await applySplitting(chunk.slice(0, half), apply, outcomes, rejections);
    await applySplitting(chunk.slice(half), apply, outcomes, rejections);
  }
}
