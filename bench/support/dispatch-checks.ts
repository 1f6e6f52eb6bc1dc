import type { Client } from 'pg';

/** What the dispatcher's own tables say about a run, checked after it. */
export interface DispatchChecks {
  /** Tasks stored whose id carries the run's prefix (other runs may post on the shared topics too). */
  readonly tasks: number;
  readonly offers: number;
  readonly assignments: number;
  readonly workersWithOffers: number;
  /** Workers who at some moment held more open offers and assignments than their capacity. */
  readonly overCapacity: readonly { workerId: string; peak: number; capacity: number }[];
  /** The highest share of capacity any worker held at once. */
  readonly peakCapacityShare: number;
  /** Task replicas that had two offers open at once. */
  readonly replicasDoublyOffered: number;
  /** Tasks assigned twice to the same worker (replicas must go to distinct workers). */
  readonly sameWorkerTwice: number;
  readonly replicaStates: Record<string, number>;
}

/**
 * Every offer is open over [created_at, closed_at) and every assignment over [assigned_at,
 * finished_at) (an accepted offer closes in the transaction that opens its assignment, at the
 * same now(), so the two do not overlap). A sweep over those intervals, closings before
 * openings at the same instant, gives each worker's peak of work held at once.
 */
const PEAK_HELD = `
  WITH spans AS (
    SELECT worker_id, created_at AS s, closed_at AS e FROM dispatcher.offers
    UNION ALL SELECT worker_id, assigned_at, finished_at FROM dispatcher.assignments),
  moves AS (
    SELECT worker_id, s AS t, 1 AS d FROM spans
    UNION ALL SELECT worker_id, e, -1 FROM spans WHERE e IS NOT NULL),
  held AS (
    SELECT worker_id, sum(d) OVER (PARTITION BY worker_id ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS n FROM moves)
  SELECT h.worker_id, max(h.n)::int AS peak, w.capacity
  FROM held h JOIN dispatcher.workers w USING (worker_id)
  GROUP BY h.worker_id, w.capacity`;

const DOUBLY_OFFERED = `
  WITH moves AS (
    SELECT task_id, replica, created_at AS t, 1 AS d FROM dispatcher.offers
    UNION ALL SELECT task_id, replica, closed_at, -1 FROM dispatcher.offers WHERE closed_at IS NOT NULL),
  open AS (
    SELECT task_id, replica, sum(d) OVER (PARTITION BY task_id, replica ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS n FROM moves)
  SELECT count(DISTINCT (task_id, replica))::int AS n FROM open WHERE n > 1`;

const SAME_WORKER_TWICE = `
  SELECT count(*)::int AS n FROM (
    SELECT task_id, worker_id FROM dispatcher.assignments GROUP BY task_id, worker_id HAVING count(*) > 1) t`;

export async function checkDispatch(db: Client, taskIdPrefix: string): Promise<DispatchChecks> {
  const count = async (sql: string) => (await db.query<{ n: number }>(sql)).rows[0].n;
  const peaks = (await db.query<{ worker_id: string; peak: number; capacity: number }>(PEAK_HELD)).rows;
  const states = (await db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM dispatcher.task_replicas GROUP BY state ORDER BY state')).rows;
  return {
    tasks: (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM dispatcher.tasks WHERE starts_with(task_id, $1)', [taskIdPrefix])).rows[0].n,
    offers: await count('SELECT count(*)::int AS n FROM dispatcher.offers'),
    assignments: await count('SELECT count(*)::int AS n FROM dispatcher.assignments'),
    workersWithOffers: peaks.length,
    overCapacity: peaks.filter((p) => p.peak > p.capacity).map((p) => ({ workerId: p.worker_id, peak: p.peak, capacity: p.capacity })),
    peakCapacityShare: Math.max(0, ...peaks.map((p) => p.peak / p.capacity)),
    replicasDoublyOffered: await count(DOUBLY_OFFERED),
    sameWorkerTwice: await count(SAME_WORKER_TWICE),
    replicaStates: Object.fromEntries(states.map((s) => [s.state, s.n])),
  };
}
