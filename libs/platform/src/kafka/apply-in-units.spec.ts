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

  it('applies a chunk holding a refused event again by halves: the refused one is rejected with its reason, the rest land once, in order', async () => {
    const s = store((n) => n === 3);
    const rejections = await applyInUnits(batchOf([1, 2, 3, 4, 5, 6]), 3, s.apply);
    expect(rejections.map((r) => [r.item.event, (r.error.getError() as DeadLetterVerdict).reason])).toEqual([[3, '3 refused']]);
    expect(s.committed).toEqual([1, 2, 4, 5, 6]);
    expect(s.units).toEqual([[1, 2, 3], [1, 2], [3], [4, 5, 6]]);
  });

  it('finds refused events among 200 in a few units, not one unit per event, and keeps every other event in order', async () => {
    const refused = new Set([7, 150]);
    const s = store((n) => refused.has(n));
    const events = Array.from({ length: 200 }, (_, i) => i);
    const after: number[][] = [];
    const rejections = await applyInUnits(batchOf(events), 200, s.apply, async (outcomes) => void after.push(outcomes.flatMap((o) => o.applied)));
    expect(rejections.map((r) => r.item.event)).toEqual([7, 150]);
    expect(s.committed).toEqual(events.filter((n) => !refused.has(n)));
    expect(after).toEqual([events.filter((n) => !refused.has(n))]);
    // Each refused event costs at most two units per halving (8 halvings of 200): 1 + 2 * 2 * 8.
    expect(s.units.length).toBeLessThanOrEqual(33);
  });

  it('gives the rejections in the order their events came, whether thrown or returned by a unit', async () => {
    const batch = batchOf([1, 2, 3, 4]);
    const rejections = await applyInUnits(batch, 10, async (chunk) => {
      if (chunk.some((c) => c.event === 3)) throw new DeadLetterError('3 refused');
      return { rejections: chunk.filter((c) => c.event === 1).map((item) => ({ item, error: new DeadLetterError('1 refused') })) };
    });
    expect(rejections.map((r) => r.item.event)).toEqual([1, 3]);
  });

  it('passes on rejections a unit returns, and rethrows any other failure so the batch is retried', async () => {
    const batch = batchOf([1, 2]);
    const rejections = await applyInUnits(batch, 10, async (chunk) => ({ rejections: [{ item: chunk[1], error: new DeadLetterError('unknown') }] }));
    expect(rejections.map((r) => r.item.event)).toEqual([2]);
    await expect(applyInUnits(batch, 10, async () => Promise.reject(new Error('connection lost')))).rejects.toThrow('connection lost');
  });
});
