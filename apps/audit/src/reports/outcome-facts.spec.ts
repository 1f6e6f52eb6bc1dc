import { activeSeconds, workerOutcomes } from './outcome-facts';

const H = 3_600_000;

describe('activeSeconds', () => {
  it('clips online intervals to the period and counts a worker still online up to its end', () => {
    const active = activeSeconds(
      [
        { workerId: 'a', online: true, at: -H },
        { workerId: 'a', online: false, at: H },
        { workerId: 'b', online: true, at: 2 * H },
        { workerId: 'c', online: false, at: 0.5 * H },
        { workerId: 'c', online: true, at: 0.25 * H },
      ],
      0,
      3 * H,
    );
    expect(Object.fromEntries(active)).toEqual({ a: 3600, b: 3600, c: 900 });
  });
});

describe('workerOutcomes', () => {
  it('merges the counts per worker and marks newcomers by their reviews before the period', () => {
    const rows = workerOutcomes({
      workers: new Set(['w-2', 'w-1']),
      group: (w) => (w === 'w-1' ? 'north' : null),
      candidacies: new Map([['w-1', 4]]),
      offers: new Map([['w-1', 2]]),
      assignments: new Map([['w-1', 1]]),
      pay: new Map([['w-1', 900]]),
      active: new Map([['w-2', 60]]),
      reviewsBefore: new Map([['w-1', 9]]),
      newcomerMaxReviews: 5,
    });
    expect(rows).toEqual([
      { workerId: 'w-1', group: 'north', candidacies: 4, offers: 2, assignments: 1, newcomer: false, payCents: 900, activeSeconds: 0 },
      { workerId: 'w-2', group: null, candidacies: 0, offers: 0, assignments: 0, newcomer: true, payCents: 0, activeSeconds: 60 },
    ]);
  });
});
