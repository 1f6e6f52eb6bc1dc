import { OffsetCommits, type PartitionOffset } from './offset-commits';

describe('OffsetCommits', () => {
  let sent: PartitionOffset[][];
  let errors: Error[];
  let fail: boolean;
  const make = (intervalMs = 500) =>
    new OffsetCommits(
      async (offsets) => {
        if (fail) throw new Error('rebalance in progress');
        sent.push(offsets);
      },
      intervalMs,
      (e) => errors.push(e),
    );

  beforeEach(() => {
    jest.useFakeTimers();
    sent = [];
    errors = [];
    fail = false;
  });
  afterEach(() => jest.useRealTimers());

  it('commits the latest position of each partition once per interval, one past the last handled offset', async () => {
    const commits = make();
    commits.consumed('t', 0, '4');
    commits.consumed('t', 0, '9');
    commits.consumed('t', 1, '2');
    commits.consumed('u', 0, '99');
    await jest.advanceTimersByTimeAsync(499);
    expect(sent).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([[
      { topic: 't', partition: 0, offset: '10' },
      { topic: 't', partition: 1, offset: '3' },
      { topic: 'u', partition: 0, offset: '100' },
    ]]);
    commits.consumed('t', 0, '10');
    await jest.advanceTimersByTimeAsync(500);
    expect(sent[1]).toEqual([{ topic: 't', partition: 0, offset: '11' }]);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(sent).toHaveLength(2);
  });

  it('handles offsets beyond 2^53 exactly', async () => {
    const commits = make();
    commits.consumed('t', 0, '9007199254740993');
    await commits.flush();
    expect(sent[0][0].offset).toBe('9007199254740994');
  });

  it('commits at once on flush, and after every batch with an interval of 0', async () => {
    const commits = make();
    commits.consumed('t', 0, '1');
    await commits.flush();
    expect(sent).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(1);

    const eager = make(0);
    eager.consumed('t', 0, '5');
    await eager.flush();
    expect(sent[1]).toEqual([{ topic: 't', partition: 0, offset: '6' }]);
  });

  it('keeps a failed commit for the next one, unless a newer position arrived or the partition moved away', async () => {
    const commits = make();
    commits.assigned({ t: [0, 1, 2] });
    commits.consumed('t', 0, '1');
    commits.consumed('t', 1, '1');
    commits.consumed('t', 2, '1');
    fail = true;
    const failed = commits.flush();
    commits.consumed('t', 1, '7'); // newer than what is failing
    await failed;
    expect(errors.map((e) => e.message)).toEqual(['rebalance in progress']);
    commits.assigned({ t: [0, 1] }); // partition 2 went to another member
    fail = false;
    await commits.flush();
    expect(sent).toEqual([[{ topic: 't', partition: 1, offset: '8' }, { topic: 't', partition: 0, offset: '2' }]]);
  });

  it('drops the positions of partitions no longer owned after a rebalance', async () => {
    const commits = make();
    commits.consumed('t', 0, '1');
    commits.consumed('t', 3, '1');
    commits.assigned({ t: [3] });
    expect(commits.size).toBe(1);
    await commits.flush();
    expect(sent).toEqual([[{ topic: 't', partition: 3, offset: '2' }]]);
  });

  it('sends nothing once stopped', async () => {
    const commits = make();
    commits.consumed('t', 0, '1');
    commits.stop();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(sent).toEqual([]);
  });
});
