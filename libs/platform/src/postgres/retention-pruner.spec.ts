import { RetentionPruner, retentionText } from './retention-pruner';

describe('RetentionPruner', () => {
  it('says a retention in days when it is whole days, in hours otherwise', () => {
    expect(retentionText(86_400_000)).toBe('1 day');
    expect(retentionText(30 * 86_400_000)).toBe('30 days');
    expect(retentionText(36 * 3_600_000)).toBe('36 h');
    expect(retentionText(12 * 3_600_000)).toBe('12 h');
  });

  it('logs what a round deleted, nothing when it deleted nothing, and a failure with when it tries again', async () => {
    const logged: string[] = [];
    const log = { log: (m: string) => logged.push(m), warn: (m: string) => logged.push(`warn: ${m}`) };
    const counts = [2, 0];
    const cuts: Date[] = [];
    const pruner = new RetentionPruner('ended tasks', async (before) => {
      cuts.push(before);
      const n = counts.shift();
      if (n === undefined) throw new Error('connection lost');
      return n;
    }, 7 * 86_400_000, 600_000, log);
    const now = new Date('2026-12-07T12:00:00Z');
    expect(await pruner.round(now)).toBe(2);
    expect(await pruner.round(now)).toBe(0);
    expect(await pruner.round(now)).toBe(0);
    expect(cuts.map((c) => c.toISOString())).toEqual(Array(3).fill('2026-11-30T12:00:00.000Z'));
    expect(logged).toEqual(['deleted 2 ended tasks older than 7 days', 'warn: pruning ended tasks failed (connection lost); trying again in 600 s']);
  });
});
