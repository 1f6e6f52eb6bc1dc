import { Inject, Injectable } from '@nestjs/common';
import { sqlRows } from '@clearwork/platform';
import { DataSource } from 'typeorm';

/** One heartbeat: the worker and the time it was sent (the event's `occurredAt`, as given). */
export interface PresenceMark {
  readonly workerId: string;
  readonly at: string;
}

/**
 * Merges the batch's heartbeats into their workers' buckets: a row per worker per quarter hour
 * (counted from 2000-01-01 UTC, itself a whole number of quarter hours after the Unix epoch; in SQL,
 * so the exact stored time decides) holding its heartbeats' times, sorted and distinct, so a
 * heartbeat delivered again, out of order or twice in one batch changes nothing it should not.
 * Rows are written in key order, so two writers of the same workers queue instead of deadlocking.
 * A quarter hour holds 15 times (120 bytes) for a worker heartbeating once a minute, and 180
 * (1.4 KB) for one heartbeating every 5 seconds, still short of the 2 KB at which PostgreSQL would
 * compress and move the array out of line at every update.
 */
export const MARK_SQL = `INSERT INTO audit.presence_beats (worker_id, bucket, beats)
  SELECT w, date_bin('15 minutes', a, TIMESTAMPTZ '2000-01-01 00:00:00+00'), array_agg(DISTINCT a ORDER BY a)
  FROM unnest($1::text[], $2::timestamptz[]) AS t(w, a)
  GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (worker_id, bucket) DO UPDATE
  SET beats = ARRAY(SELECT DISTINCT b FROM unnest(presence_beats.beats || EXCLUDED.beats) AS b ORDER BY b)`;

/**
 * The latest heartbeat at or before `$2`. Every time in a bucket lies inside it, so a bucket
 * before `$2`'s holds only earlier times: the answer is in the newest bucket that starts at or
 * before `$2` or, when all of that one's times are later, in the one before.
 */
export const LAST_SQL = `SELECT max(b) AS at
  FROM (SELECT beats FROM audit.presence_beats WHERE worker_id = $1 AND bucket <= $2 ORDER BY bucket DESC LIMIT 2) AS p,
       unnest(p.beats) AS b
  WHERE b <= $2`;

/**
 * Workers' heartbeats, kept for reconstruction: whether a worker counted as present at a decision
 * depends on the last heartbeat before it. Kept exact (every time as sent, to the microsecond
 * PostgreSQL stores), but a row per worker per quarter hour instead of a row per heartbeat: 20,000
 * workers heartbeating once a minute send 28.8 million a day.
 */
@Injectable()
export class PresenceMarks {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async mark(beats: readonly PresenceMark[]): Promise<void> {
    if (beats.length === 0) return;
    await sqlRows(this.dataSource.manager, MARK_SQL, [beats.map((b) => b.workerId), beats.map((b) => b.at)]);
  }

  /** The latest heartbeat of a worker at or before `at`, or null if none is kept. */
  async lastBefore(workerId: string, at: string): Promise<string | null> {
    const [row] = await sqlRows<{ at: Date | null }>(this.dataSource.manager, LAST_SQL, [workerId, at]);
    return row?.at ? row.at.toISOString() : null;
  }
}
