import { applyInUnits } from './apply-in-units';
import { DeadLetterError, type DeadLetterVerdict } from './dead-letter-error';
import type { BatchedEvent } from './kafka-event-server';

const batchOf = (values: number[]): BatchedEvent<number>[] =>
  values.map((event, i) => ({ event, context: { topic: 't', partition: 0, offset: String(i), key: null, headers: {} } }) as unknown as BatchedEvent<number>);

/** A store with transactions: a unit's writes stay only if it does not throw. */
function store(refuse: (n: number) => boolean) {
  const committed: number[] = [];
  const units: number[][] = [];
  const apply = async (chunk: readonly BatchedEvent<number>[]) => {
    units.push(chunk.map((c) => c.event));
    const pending: number[] = [];
    for (const { event } of chunk) {
      if (refuse(event)) throw new DeadLetterError(`${event} refused`);
      pending.push(event);
    }
    committed.push(...pending);
    return { applied: pending };
  };
  return { committed, units, apply };
}

describe('applyInUnits', () => {
  it('applies each chunk in one unit, in order, and runs `after` once per chunk', async () => {
    const s = store(() => false);
    const after: number[][] = [];
    const rejections = await applyInUnits(batchOf([1, 2, 3, 4, 5]), 2, s.apply, async (outcomes) => void after.push(outcomes.flatMap((o) => o.applied)));
    expect(rejections).toEqual([]);
    expect(s.units).toEqual([[1, 2], [3, 4], [5]]);
    expect(s.committed).toEqual([1, 2, 3, 4, 5]);
    expect(after).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('applies a chunk holding a refused event again one event per unit: the refused one is rejected with its reason, the rest land once', async () => {
    const s = store((n) => n === 3);
    const rejections = await applyInUnits(batchOf([1, 2, 3, 4, 5, 6]), 3, s.apply);
    expect(rejections.map((r) => [r.item.event, (r.error.getError() as DeadLetterVerdict).reason])).toEqual([[3, '3 refused']]);
    expect(s.committed).toEqual([1, 2, 4, 5, 6]);
    expect(s.units).toEqual([[1, 2, 3], [1], [2], [3], [4, 5, 6]]);
  });

  it('passes on rejections a unit returns, and rethrows any other failure so the batch is retried', async () => {
    const batch = batchOf([1, 2]);
    const rejections = await applyInUnits(batch, 10, async (chunk) => ({ rejections: [{ item: chunk[1], error: new DeadLetterError('unknown') }] }));
    expect(rejections.map((r) => r.item.event)).toEqual([2]);
    await expect(applyInUnits(batch, 10, async () => Promise.reject(new Error('connection lost')))).rejects.toThrow('connection lost');
  });
});
