import { CachedReading } from './cached-reading';

describe('CachedReading', () => {
  let clock: number;
  let reads: number;
  let answer: () => Promise<number>;
  const errors: Error[] = [];
  const make = () =>
    new CachedReading({
      read: () => {
        reads++;
        return answer();
      },
      maxAgeMs: 5_000,
      waitMs: 50,
      onError: (e) => errors.push(e),
      now: () => clock,
    });

  beforeEach(() => {
    clock = 1_000_000;
    reads = 0;
    errors.length = 0;
    answer = async () => 7;
  });

  it('reads once per interval however often it is asked, concurrent callers sharing the read', async () => {
    const reading = make();
    expect(await Promise.all([reading.value(), reading.value(), reading.value()])).toEqual([7, 7, 7]);
    clock += 4_999;
    answer = async () => 8;
    expect(await reading.value()).toBe(7);
    expect(reads).toBe(1);
    clock += 1;
    expect(await reading.value()).toBe(8);
    expect(reads).toBe(2);
  });

  it('keeps the last reading when a read fails, and waits out the interval before trying again', async () => {
    const reading = make();
    await reading.value();
    clock += 5_000;
    answer = async () => {
      throw new Error('connection refused');
    };
    expect(await reading.value()).toBe(7);
    expect(errors.map((e) => e.message)).toEqual(['connection refused']);
    clock += 1_000;
    expect(await reading.value()).toBe(7);
    expect(reads).toBe(2);
  });

  it('serves the last reading when a new one is slow, and the new one once it lands', async () => {
    const reading = make();
    expect(await reading.value()).toBe(7);
    clock += 5_000;
    let land!: (n: number) => void;
    answer = () => new Promise<number>((resolve) => (land = resolve));
    expect(await reading.value()).toBe(7);
    land(9);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await reading.value()).toBe(9);
    expect(reads).toBe(2);
  });

  it('has nothing to serve before its first reading succeeds', async () => {
    answer = async () => {
      throw new Error('no database yet');
    };
    expect(await make().value()).toBeUndefined();
  });
});
