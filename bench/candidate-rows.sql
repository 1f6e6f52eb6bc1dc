-- Candidate rows with and without the decision and task ids their log entry holds.
--
--   psql -h 127.0.0.1 -d test -q -f bench/candidate-rows.sql
--
-- Writes the same 520,000 rows (20,000 decisions of 26 candidates, 50 decisions a statement and
-- a commit after each, 20,000 workers) into two tables shaped like audit.candidates, keyed and
-- indexed as it is (B-tree key worker_id, decided_at, seq; BRIN on decided_at): "before" with
-- decision_id and task_id, "after" without (migration CandidatesWithoutEntryIds1733200000000).
-- Three rounds, the two in turn, a CHECKPOINT before each run so each pays for its first page
-- writes alike. Prints each run's time and WAL, and the ratios of the last round (the first
-- warms the caches). Drops its
-- schema at the end. Needs a database where the user may CHECKPOINT (a superuser, or
-- pg_checkpoint on PostgreSQL 15).
DROP SCHEMA IF EXISTS candidate_rows_bench CASCADE;
CREATE SCHEMA candidate_rows_bench;
CREATE TABLE candidate_rows_bench.before (
  decision_id text NOT NULL, worker_id text NOT NULL, task_id text NOT NULL, rank int NOT NULL,
  selected boolean NOT NULL, decided_at timestamptz NOT NULL, seq bigint NOT NULL,
  PRIMARY KEY (worker_id, decided_at, seq));
CREATE INDEX ON candidate_rows_bench.before USING brin (decided_at);
CREATE TABLE candidate_rows_bench.after (
  worker_id text NOT NULL, rank int NOT NULL, selected boolean NOT NULL, decided_at timestamptz NOT NULL, seq bigint NOT NULL,
  PRIMARY KEY (worker_id, decided_at, seq));
CREATE INDEX ON candidate_rows_bench.after USING brin (decided_at);
-- The rows, made once, so neither run pays for making them.
CREATE TABLE candidate_rows_bench.src AS
  SELECT md5('d' || d)::uuid::text AS decision_id, 'w-e2emx8ue9o29370e6-' || ((d * 7919 + r * 104729) % 20000) AS worker_id,
         't-e2emx8ue9o29370e6-' || d AS task_id, r AS rank, r = 1 AS selected,
         timestamptz '2026-12-07 00:00:00+00' + d * interval '5 ms' AS decided_at, d::bigint AS seq
  FROM generate_series(0, 19999) d, generate_series(1, 26) r;
CREATE INDEX ON candidate_rows_bench.src (seq);
ANALYZE candidate_rows_bench.src;

DO $$
DECLARE
  decisions constant int := 20000;
  per_statement constant int := 50;
  t0 timestamptz;
  w0 pg_lsn;
  secs double precision;
  wal numeric;
  last_before double precision[];
  last_after double precision[];
  kind text;
BEGIN
  FOR rnd IN 1..3 LOOP
    FOREACH kind IN ARRAY ARRAY['before', 'after'] LOOP
      EXECUTE format('TRUNCATE candidate_rows_bench.%I', kind);
      COMMIT;
      CHECKPOINT;
      t0 := clock_timestamp();
      w0 := pg_current_wal_lsn();
      FOR d0 IN 0..decisions - 1 BY per_statement LOOP
        IF kind = 'before' THEN
          INSERT INTO candidate_rows_bench.before (decision_id, worker_id, task_id, rank, selected, decided_at, seq)
          SELECT decision_id, worker_id, task_id, rank, selected, decided_at, seq FROM candidate_rows_bench.src
          WHERE seq >= d0 AND seq < d0 + per_statement ORDER BY seq, rank;
        ELSE
          INSERT INTO candidate_rows_bench.after (worker_id, rank, selected, decided_at, seq)
          SELECT worker_id, rank, selected, decided_at, seq FROM candidate_rows_bench.src
          WHERE seq >= d0 AND seq < d0 + per_statement ORDER BY seq, rank;
        END IF;
        COMMIT;
      END LOOP;
      secs := extract(epoch FROM clock_timestamp() - t0);
      wal := pg_current_wal_lsn() - w0;
      RAISE NOTICE 'round %: %: % rows in % s, % MB of WAL (% bytes a row), table % MB', rnd, rpad(kind, 6), decisions * 26,
        round(secs::numeric, 2), round(wal / 1e6, 1), round(wal / (decisions * 26)), round(pg_total_relation_size(format('candidate_rows_bench.%I', kind)) / 1e6, 1);
      IF kind = 'before' THEN last_before := ARRAY[secs, wal::double precision]; ELSE last_after := ARRAY[secs, wal::double precision]; END IF;
    END LOOP;
  END LOOP;
  RAISE NOTICE 'after / before, round 3: time %, WAL %', round((last_after[1] / last_before[1])::numeric, 2), round((last_after[2] / last_before[2])::numeric, 2);
END $$;

DROP SCHEMA candidate_rows_bench CASCADE;
