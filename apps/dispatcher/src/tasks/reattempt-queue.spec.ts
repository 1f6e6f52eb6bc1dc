import { ReattemptQueue, type BetweenOffers } from './reattempt-queue';

const r = (taskId: string, offeredAt = 1, replica = 1): BetweenOffers => ({ taskId, replica, offeredAt });
const names = (batch: readonly BetweenOffers[]) => batch.map((x) => `${x.taskId}@${x.offeredAt}`);

/** A controllable attempt: each call waits until released, and what it was given is kept. */
function gatedAttempts() {
  const calls: string[][] = [];
  const gates: ((error?: Error) => void)[] = [];
  const attempt = (batch: BetweenOffers[]) => {
    calls.push(names(batch));
    return new Promise<void>((resolve, reject) => gates.push((error) => (error ? reject(error) : resolve())));
  };
  const release = async (error?: Error) => {
    gates.shift()!(error);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { calls, attempt, release };
}

describe('ReattemptQueue', () => {
  it('runs one unit at a time, gathering what is queued meanwhile into the next, at most `perUnit` a unit', async () => {
    const { calls, attempt, release } = gatedAttempts();
    const queue = new ReattemptQueue(attempt, () => undefined, 2);
    queue.add([r('a')]);
    expect(calls).toEqual([['a@1']]);
    queue.add([r('b'), r('c')]);
    queue.add([r('d')]);
    expect(calls).toHaveLength(1); // the first unit still runs
    expect(queue.has(r('a'))).toBe(true);
    expect(queue.has(r('d'))).toBe(true);
    expect(queue.size).toBe(4);
    await release();
    expect(calls).toEqual([['a@1'], ['b@1', 'c@1']]);
    expect(queue.has(r('a'))).toBe(false);
    await release();
    expect(calls).toEqual([['a@1'], ['b@1', 'c@1'], ['d@1']]);
    const idle = queue.idle();
    await release();
    await idle;
    expect(queue.size).toBe(0);
    expect(queue.has(r('d'))).toBe(false);
  });

  it('attempts a replica queued twice once, as its later offer, and tells replicas of one task apart', async () => {
    const { calls, attempt, release } = gatedAttempts();
    const queue = new ReattemptQueue(attempt, () => undefined, 10);
    queue.add([r('a')]);
    queue.add([r('b', 1), r('b', 2, 2)]);
    queue.add([r('b', 3)]);
    await release();
    expect(calls[1]).toEqual(['b@3', 'b@2']);
    await release();
    await queue.idle();
  });

  it('reports a unit that fails with how many it held, and goes on with the next', async () => {
    const { calls, attempt, release } = gatedAttempts();
    const failures: string[] = [];
    const queue = new ReattemptQueue(attempt, (error, count) => failures.push(`${count}: ${error.message}`), 10);
    queue.add([r('a'), r('b')]);
    queue.add([r('c')]);
    await release(new Error('connection reset'));
    expect(failures).toEqual(['2: connection reset']);
    expect(calls).toEqual([['a@1', 'b@1'], ['c@1']]);
    await release();
    await queue.idle();
    expect(failures).toHaveLength(1);
  });

  it('starts again for replicas queued after a drain ended, and is idle at once with nothing queued', async () => {
    const seen: string[][] = [];
    const queue = new ReattemptQueue(async (batch) => void seen.push(names(batch)), () => undefined, 5);
    await queue.idle();
    queue.add([]);
    expect(seen).toEqual([]);
    queue.add([r('a')]);
    await queue.idle();
    queue.add([r('b')]);
    await queue.idle();
    expect(seen).toEqual([['a@1'], ['b@1']]);
  });
});
