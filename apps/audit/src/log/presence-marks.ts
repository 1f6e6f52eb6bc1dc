import { Inject, Injectable } from '@nestjs/common';
import { sqlRows } from '@clearwork/platform';
import { DataSource } from 'typeorm';

/** One heartbeat: the worker and the time it was sent (the event's `occurredAt`, as given). */
export interface PresenceMark {
  readonly workerId: string;
  readonly at: string;
}

/** The most times a row takes before a worker's later heartbeats of its span go to a finer one (1.4 KB; written out in MARK_SQL). */
export const PRESENCE_ROW_CAP = 180;

/**
 * Merges the batch's heartbeats into their workers' rows: a row per worker per quarter hour
 * (counted from 2000-01-01 UTC, itself a whole number of quarter hours after the Unix epoch; in
 * SQL, so the exact stored time decides) holding its heartbeats' times, sorted and distinct, so a
 * heartbeat delivered again, out of order or twice in one batch changes nothing it should not. A
 * quarter hour holds 15 times (120 bytes) for a worker heartbeating once a minute, and 180 (1.4 KB)
 * for one heartbeating every 5 seconds, short of the 2 KB at which PostgreSQL would compress and
 * move the array out of line at every update. Once a quarter hour's row holds PRESENCE_ROW_CAP
 * times, it is left as it is, and the worker's later heartbeats of it go to
 * `presence_beats_fine`: a row per minute, and once that is full, per second (a batch may take a
 * row past the cap, by its own heartbeats of that worker at most; a heartbeat delivered again
 * after its row filled may be kept in a finer row too, which changes no answer). So a client
 * heartbeating far faster than asked costs rows of bounded size, not one row rewritten ever
 * larger through the quarter hour; the quarter hour's row is not read first, the insert's
 * conflict clause leaves a full one alone. Rows are written in key order, so two writers of the
 * same workers queue instead of deadlocking.
 */
export const MARK_SQL = `WITH t AS (
    SELECT DISTINCT w, a, date_bin('15 minutes', a, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket FROM unnest($1::text[], $2::timestamptz[]) AS t(w, a)
  ), coarse AS (
    INSERT INTO audit.presence_beats (worker_id, bucket, beats)
    SELECT w, bucket, array_agg(a ORDER BY a) FROM t GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (worker_id, bucket) DO UPDATE SET beats = ARRAY(SELECT DISTINCT b FROM unnest(presence_beats.beats || EXCLUDED.beats) AS b ORDER BY b)
    WHERE cardinality(presence_beats.beats) < 180
    RETURNING worker_id, bucket
  ), over AS MATERIALIZED (
    SELECT w, a FROM t WHERE NOT EXISTS (SELECT 1 FROM coarse c WHERE c.worker_id = t.w AND c.bucket = t.bucket)
  ), spill AS (
    SELECT o.w, o.a,
           CASE WHEN m.full THEN 1 ELSE 60 END AS span,
           CASE WHEN m.full THEN date_bin('1 second', o.a, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 minute', o.a, TIMESTAMPTZ '2000-01-01 00:00:00+00') END AS bucket
    FROM over o LEFT JOIN audit.presence_beats_fine f ON f.worker_id = o.w AND f.span = 60 AND f.bucket = date_bin('1 minute', o.a, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
         LATERAL (SELECT coalesce(cardinality(f.beats), 0) >= 180 AS full) AS m
  )
  INSERT INTO audit.presence_beats_fine (worker_id, span, bucket, beats)
  SELECT w, span, bucket, array_agg(a ORDER BY a) FROM spill GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (worker_id, span, bucket) DO UPDATE SET beats = ARRAY(SELECT DISTINCT b FROM unnest(presence_beats_fine.beats || EXCLUDED.beats) AS b ORDER BY b)`;

/**
 * The latest heartbeat at or before `$2`. Within one span the rows cut time into pieces (every
 * time in a row lies inside its bucket), so a row starting before `$2`'s holds only earlier
 * times: that span's answer is in its newest row starting at or before `$2` or, when all of that
 * one's times are later, in the one before. The answer is the latest of the three spans'.
 */
export const LAST_SQL = `SELECT max(b) AS at
  FROM (
    (SELECT beats FROM audit.presence_beats WHERE worker_id = $1 AND bucket <= $2 ORDER BY bucket DESC LIMIT 2)
    UNION ALL (SELECT beats FROM audit.presence_beats_fine WHERE worker_id = $1 AND span = 60 AND bucket <= $2 ORDER BY bucket DESC LIMIT 2)
    UNION ALL (SELECT beats FROM audit.presence_beats_fine WHERE worker_id = $1 AND span = 1 AND bucket <= $2 ORDER BY bucket DESC LIMIT 2)
  ) AS p, unnest(p.beats) AS b
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
