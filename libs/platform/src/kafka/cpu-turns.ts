/** How long one synchronous stretch runs before it lets the event loop through. */
const SLICE_MS = 2;

let queue: Promise<unknown> = Promise.resolve();
let sliceStarted = 0;

/**
 * Runs a long, mostly synchronous stretch of work (decoding a fetched batch, building log
 * entries) when no other such stretch is running. Inside it, `pauseIfDue` yields to the event
 * loop every couple of milliseconds. Taking turns matters when many partitions are consumed at
 * once: if each stretch only yielded, a dozen of them would each run a slice in the same turn of
 * the event loop, and a database reply that a commit is waiting for would sit behind them all.
 * Measured on the audit log: a group commit spent more than half its time waiting so.
 */
export function inTurn<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(() => {
    sliceStarted = performance.now();
    return work();
  });
  queue = run.catch(() => undefined);
  return run;
}

/** Inside `inTurn`: yields to the event loop once the current slice has run its time. */
export async function pauseIfDue(): Promise<void> {
  if (performance.now() - sliceStarted < SLICE_MS) return;
  await new Promise((resolve) => setImmediate(resolve));
  sliceStarted = performance.now();
}
