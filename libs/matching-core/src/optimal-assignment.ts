/**
 * Optimal assignment of rows (task replicas) to columns (worker slots): as many rows assigned
 * as possible, and among those assignments the greatest total value. The Hungarian method with
 * potentials (Kuhn–Munkres, O(n²·m) for n ≤ m). `value[i][j]` is the score of giving column j
 * to row i, or `null` when that pair is not allowed. Pure and deterministic.
 */
export interface AssignmentResult {
  /** For each row, the column it gets, or -1. */
  readonly columnOf: number[];
  /** Sum of the values of the pairs chosen. */
  readonly objective: number;
}

export function optimalAssignment(value: readonly (readonly (number | null)[])[]): AssignmentResult {
  const rows = value.length;
  const cols = rows === 0 ? 0 : value[0].length;
  if (rows === 0 || cols === 0) return { columnOf: Array(rows).fill(-1), objective: 0 };
  const transpose = rows > cols;
  const n = transpose ? cols : rows;
  const m = transpose ? rows : cols;
  const at = (i: number, j: number) => (transpose ? value[j][i] : value[i][j]);
  // Minimise cost = FORBIDDEN for disallowed pairs, else (max - value) so that every cost is >= 0.
  let max = 0;
  for (const row of value) for (const v of row) if (v !== null && v > max) max = v;
  const FORBIDDEN = (max + 1) * (n + 1) * 4;
  const cost = (i: number, j: number) => {
    const v = at(i, j);
    return v === null ? FORBIDDEN : max - v;
  };

  // 1-based arrays as in the classic formulation; p[j] = row matched to column j.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }

  const columnOf: number[] = Array(rows).fill(-1);
  let objective = 0;
  for (let j = 1; j <= m; j++) {
    if (p[j] === 0) continue;
    const [row, col] = transpose ? [j - 1, p[j] - 1] : [p[j] - 1, j - 1];
    const val = value[row][col];
    if (val === null) continue; // a forbidden pair was only filler: leave the row unassigned
    columnOf[row] = col;
    objective += val;
  }
  return { columnOf, objective: Math.round(objective * 1e6) / 1e6 };
}
