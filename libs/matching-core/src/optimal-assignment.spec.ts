import fc from 'fast-check';
import { optimalAssignment } from './optimal-assignment';

/** Exhaustive best assignment for tiny matrices (most rows assigned, then greatest total). */
function bruteForce(value: (number | null)[][]): { count: number; total: number } {
  const rows = value.length;
  const cols = value[0]?.length ?? 0;
  let best = { count: 0, total: 0 };
  const used = new Array(cols).fill(false);
  const go = (i: number, count: number, sum: number) => {
    if (i === rows) {
      if (count > best.count || (count === best.count && sum > best.total)) best = { count, total: sum };
      return;
    }
    go(i + 1, count, sum);
    for (let j = 0; j < cols; j++) {
      const v = value[i][j];
      if (used[j] || v === null) continue;
      used[j] = true;
      go(i + 1, count + 1, sum + v);
      used[j] = false;
    }
  };
  go(0, 0, 0);
  return { count: best.count, total: Math.round(best.total * 1e6) / 1e6 };
}

describe('optimalAssignment', () => {
  it('beats the greedy choice when greedy is wrong', () => {
    // Greedy gives row 0 its best column (0.9) and leaves row 1 with 0.1; optimal is 0.8 + 0.8.
    const result = optimalAssignment([
      [0.9, 0.8],
      [0.8, 0.1],
    ]);
    expect(result).toEqual({ columnOf: [1, 0], objective: 1.6 });
  });

  it('leaves a row unassigned when every column is forbidden or taken', () => {
    expect(optimalAssignment([[null, null], [0.5, null]])).toEqual({ columnOf: [-1, 0], objective: 0.5 });
    expect(optimalAssignment([[0.5], [0.7], [0.2]]).columnOf.filter((c) => c >= 0)).toHaveLength(1);
  });

  it('matches exhaustive search, never uses a column twice, and never uses a forbidden pair', () => {
    const cell = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null, freq: 4 });
    const matrix = fc.integer({ min: 1, max: 5 }).chain((rows) =>
      fc.integer({ min: 1, max: 5 }).chain((cols) => fc.array(fc.array(cell, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows })),
    );
    fc.assert(
      fc.property(matrix, (value) => {
        const { columnOf, objective } = optimalAssignment(value);
        const taken = columnOf.filter((c) => c >= 0);
        expect(new Set(taken).size).toBe(taken.length);
        columnOf.forEach((c, i) => c >= 0 && expect(value[i][c]).not.toBeNull());
        const best = bruteForce(value);
        expect(taken.length).toBe(best.count);
        expect(objective).toBeCloseTo(best.total, 5);
      }),
      { numRuns: 300 },
    );
  });
});
