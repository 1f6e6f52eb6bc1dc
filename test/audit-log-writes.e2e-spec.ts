/*
 * The audit log's write paths against a real PostgreSQL: COPY and JSON-row inserts keep every
 * value byte for byte, a group commit that meets entries already logged (Kafka redelivery)
 * writes only the new ones and keeps the chain whole, and a decision delivered twice or
 * malformed does not stop its candidates or anyone else's; heartbeats are kept exactly, a row per
 * worker per quarter hour, and the migration that moved them there keeps every time.
 */
import { randomUUID } from 'node:crypto';
import { chainHash, GENESIS_CHAIN, leafHash } from '@clearwork/audit-core';
import { copyRows, insertRows, isUniqueViolation, openDataSource, PlatformMetrics, sqlRows } from '@clearwork/platform';
import type { DataSource } from 'typeorm';
import { AuditMetrics } from '../apps/audit/src/audit-metrics';
import type { AuditConfig } from '../apps/audit/src/config';
import { LogAppender } from '../apps/audit/src/log/log-appender';
import { CheckpointSigner } from '../apps/audit/src/log/checkpoint-signer';
import { entryFor } from '../apps/audit/src/log/log-entry';
import { LogRecorder } from '../apps/audit/src/log/log-recorder';
import { LogTree } from '../apps/audit/src/log/log-tree';
import { LAST_SQL, PRESENCE_ROW_CAP, PresenceMarks } from '../apps/audit/src/log/presence-marks';
import { AUDIT_MIGRATIONS } from '../apps/audit/src/migrations';
import { PresenceInBuckets1733400000000 } from '../apps/audit/src/migrations/1733400000000-presence-in-buckets';
import { createScratchDatabase, requireRealServers } from './support/servers';

const config = {
  AUDIT_SIGNING_KEY: Buffer.alloc(32, 7).toString('base64'),
  AUDIT_LOG_ORIGIN: 'test.clearwork/log',
  AUDIT_CHECKPOINT_INTERVAL_MS: 60_000,
} as AuditConfig;

const event = (type: string, data: Record<string, unknown>) => ({ eventId: randomUUID(), type, occurredAt: new Date().toISOString(), data });

describe('audit log writes against a real PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let appender: LogAppender;
  let recorder: LogRecorder;
  let presence: PresenceMarks;

  /**
   * The plan of `sql` (EXPLAIN, costs off), in a transaction of its own with the scans in `off`
   * ruled out (those that suit a table this small); `generic` plans it as a prepared statement's
   * generic plan, the one a named statement may come to use.
   */
  const planOf = (sql: string, params: unknown[], off: string[], { generic = false } = {}) =>
    dataSource.transaction(async (t) => {
      for (const scan of off) await t.query(`SET LOCAL enable_${scan} = off`);
      const explain = async (statement: string, values: unknown[]) =>
        ((await t.query(`EXPLAIN (COSTS OFF) ${statement}`, values)) as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      if (!generic) return explain(sql, params);
      await t.query('SET LOCAL plan_cache_mode = force_generic_plan');
      await t.query(`PREPARE read_by_id AS ${sql}`);
      const values = params.map((p) => `'${String(p).replace(/'/g, "''")}'`).join(', ');
      const lines = await explain(`EXECUTE read_by_id(${values})`, []);
      await t.query('DEALLOCATE read_by_id');
      return lines;
    });

  beforeAll(async () => {
    await requireRealServers();
    db = await createScratchDatabase(`clearwork_writes_${Date.now()}`);
    dataSource = await openDataSource({ url: db.url, schema: 'audit', migrations: AUDIT_MIGRATIONS });
    const tree = new LogTree(dataSource);
    appender = new LogAppender(dataSource, tree, new CheckpointSigner(config), new AuditMetrics(new PlatformMetrics('audit-test')), config);
    await appender.onModuleInit();
    presence = new PresenceMarks(dataSource);
    recorder = new LogRecorder(dataSource, appender, presence);
  }, 60_000);

  afterAll(async () => {
    await appender?.onApplicationShutdown();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('COPY and JSON-row inserts store awkward text, nulls, bytes and times exactly', async () => {
    const m = dataSource.manager;
    await sqlRows(m, `CREATE TABLE public.awkward (id int PRIMARY KEY, t text, b bytea, at timestamptz)`);
    const texts = ['tab\there', 'new\nline\r\n', 'back\\slash \\N \\x00', '"quotes" and \'apostrophes\'', 'ünïcödé ✓ 𝄞', '', '\\'];
    const bytes = Buffer.from([0, 1, 92, 9, 10, 255]);
    const at = new Date('2026-01-02T03:04:05.678Z');
    await copyRows(m, 'public.awkward', ['id', 't', 'b', 'at'], texts.map((t, i) => [i, t, bytes, at]));
    await copyRows(m, 'public.awkward', ['id', 't', 'b', 'at'], [[100, null, null, null]]);
    await insertRows(m, 'public.awkward', ['id', 't', 'b', 'at'], texts.map((t, i) => [200 + i, t, bytes, at.toISOString()]));
    await insertRows(m, 'public.awkward', ['id', 't', 'b', 'at'], [[300, null, undefined, null]]);
    const rows = await sqlRows<{ id: number; t: string | null; b: Buffer | null; at: Date | null }>(m, `SELECT id, t, b, at FROM public.awkward ORDER BY id`);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const base of [0, 200]) {
      texts.forEach((t, i) => {
        const row = byId.get(base + i)!;
        expect(row.t).toBe(t);
        expect(row.b).toEqual(bytes);
        expect(row.at?.toISOString()).toBe(at.toISOString());
      });
    }
    expect(byId.get(100)).toEqual({ id: 100, t: null, b: null, at: null });
    expect(byId.get(300)).toEqual({ id: 300, t: null, b: null, at: null });
    // COPY has no ON CONFLICT: a duplicate fails it, and says so in a way callers can tell.
    const duplicate = await copyRows(m, 'public.awkward', ['id', 't'], [[0, 'again']]).catch((error: unknown) => error);
    expect(isUniqueViolation(duplicate)).toBe(true);
    await insertRows(m, 'public.awkward', ['id', 't'], [[0, 'again'], [400, 'new']], 'ON CONFLICT DO NOTHING');
    expect((await sqlRows<{ t: string }>(m, `SELECT t FROM public.awkward WHERE id IN (0, 400) ORDER BY id`)).map((r) => r.t)).toEqual([texts[0], 'new']);
  });

  it('a group commit that meets logged entries writes only the new ones, in order, and the chain stays whole', async () => {
    const first = [0, 1, 2, 3, 4].map((i) => entryFor('gig.tasks.v1', event('TaskPosted', { taskId: `task-${i}` })));
    const firstSeqs = await appender.append(first);
    const second = [...first.slice(2), ...[5, 6].map((i) => entryFor('gig.tasks.v1', event('TaskPosted', { taskId: `task-${i}` })))];
    // Two callers in one commit: one redelivers logged entries, the other repeats one of its own.
    const [seqs, again] = await Promise.all([appender.append(second), appender.append([second[4], first[0]])]);
    for (const e of [first[0], ...first.slice(2)]) expect(seqs.get(e.entryId) ?? again.get(e.entryId)).toBe(firstSeqs.get(e.entryId));
    const rows = await sqlRows<{ seq: string; entry_id: string; leaf_hash: Buffer; chain_hash: Buffer }>(dataSource.manager, `SELECT seq, entry_id, leaf_hash, chain_hash FROM audit.entries ORDER BY seq`);
    expect(rows.map((r) => r.entry_id)).toEqual([...first, second[3], second[4]].map((e) => e.entryId));
    let chain = GENESIS_CHAIN;
    rows.forEach((r, i) => {
      expect(Number(r.seq)).toBe(i);
      expect(r.leaf_hash).toEqual(leafHash([...first, second[3], second[4]][i].body));
      chain = chainHash(chain, r.leaf_hash);
      expect(r.chain_hash).toEqual(chain);
    });
    expect(seqs.get(second[4].entryId)).toBe(6);
    expect(again.get(second[4].entryId)).toBe(6);
  });

  it('writes a decision’s candidates once when it is delivered twice, and a malformed one blocks nothing', async () => {
    const topK = (ids: string[]) => ids.map((workerId, i) => ({ rank: i + 1, workerId, components: {}, baseScore: 0.5, adjustments: [], finalScore: 0.5 }));
    const decision = (taskId: string, ids: string[], decisionId: string = randomUUID()) =>
      event('DecisionRecorded', { decisionId, taskId, decidedAt: new Date().toISOString(), topK: topK(ids), selectedWorkerId: ids[0] });
    const good = decision('task-good', ['w-1', 'w-2', 'w-3']);
    await recorder.record('gig.decisions.v1', [good]);
    await recorder.record('gig.decisions.v1', [good]); // redelivered
    const twice = decision('task-twice', ['w-4', 'w-4', 'w-5']);
    const reused = decision('task-reused', ['w-1', 'w-6'], (good.data as { decisionId: string }).decisionId);
    const after = decision('task-after', ['w-7']);
    await recorder.record('gig.decisions.v1', [twice, reused, after]);
    const rows = await sqlRows<{ task_id: string; worker_id: string; selected: boolean }>(dataSource.manager, `SELECT e.task_id, c.worker_id, c.selected FROM audit.candidates c JOIN audit.entries e ON e.seq = c.seq ORDER BY e.task_id, c.rank`);
    const byTask = (taskId: string) => rows.filter((r) => r.task_id === taskId).map((r) => r.worker_id);
    expect(byTask('task-good')).toEqual(['w-1', 'w-2', 'w-3']);
    expect(byTask('task-twice')).toEqual(['w-4', 'w-5']);
    // Keyed by the decision's entry, not its id: a decision id reused by another entry keeps that entry's candidates, all of them.
    expect(byTask('task-reused')).toEqual(['w-1', 'w-6']);
    expect(byTask('task-after')).toEqual(['w-7']);
    const logged = await sqlRows<{ n: string }>(dataSource.manager, `SELECT count(*) AS n FROM audit.entries WHERE type = 'DecisionRecorded'`);
    expect(Number(logged[0].n)).toBe(4);
  });

  it('writes each candidate to one B-tree without the ids its entry holds, reads a worker’s candidacies newest first; a period is read through a BRIN index', async () => {
    const m = dataSource.manager;
    const columns = await sqlRows<{ column_name: string }>(m, `SELECT column_name FROM information_schema.columns WHERE table_schema = 'audit' AND table_name = 'candidates' ORDER BY ordinal_position`);
    expect(columns.map((c) => c.column_name)).toEqual(['worker_id', 'rank', 'selected', 'decided_at', 'seq']);
    const indexes = await sqlRows<{ indexdef: string }>(m, `SELECT indexdef FROM pg_indexes WHERE schemaname = 'audit' AND tablename = 'candidates' ORDER BY indexname`);
    expect(indexes.map((i) => i.indexdef.replace(/^.* USING /, ''))).toEqual(['brin (decided_at)', 'btree (worker_id, decided_at, seq)']);
    // The shapes of the worker record's and the outcome reports' reads.
    const record = await planOf(
      `SELECT e.decision_id, e.task_id, c.decided_at, c.rank, c.selected, c.seq FROM audit.candidates c JOIN audit.entries e ON e.seq = c.seq
       WHERE c.worker_id = $1 ORDER BY c.decided_at DESC LIMIT $2`,
      ['w-1', 50],
      ['seqscan', 'bitmapscan'],
    );
    expect(record).toContain('Index Scan Backward using candidates_pkey');
    expect(record).not.toContain('Sort');
    const period = await planOf(`SELECT worker_id, count(*) AS n FROM audit.candidates WHERE decided_at >= $1 AND decided_at < $2 GROUP BY worker_id`, ['2026-12-01', '2026-12-08'], ['seqscan', 'indexscan', 'indexonlyscan']);
    expect(period).toContain('Bitmap Index Scan on candidates_by_time');
  });

  it('indexes an entry by task, worker and decision only where it has that id, and reads by each id through those indexes', async () => {
    const m = dataSource.manager;
    const indexes = await sqlRows<{ indexname: string; indexdef: string }>(m, `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'audit' AND tablename = 'entries' AND indexname LIKE 'log_by_%' ORDER BY indexname`);
    expect(Object.fromEntries(indexes.map((i) => [i.indexname, i.indexdef.replace(/^.* USING /, '')]))).toEqual({
      log_by_decision: 'btree (decision_id) WHERE (decision_id IS NOT NULL)',
      log_by_task: 'btree (task_id, seq) WHERE (task_id IS NOT NULL)',
      log_by_type_time: 'btree (type, occurred_at)',
      log_by_worker: 'btree (worker_id, seq) WHERE (worker_id IS NOT NULL)',
    });
    // Entries without the ids are still logged, and an id's entries are found, through the indexes.
    const taskId = `t-${randomUUID()}`;
    const decisionId = randomUUID();
    await appender.append([
      entryFor('gig.worker-scores.v1', event('WorkerScored', { workerId: 'w-partial' })),
      entryFor('gig.decisions.v1', event('DecisionRecorded', { taskId, decisionId, selectedWorkerId: 'w-partial' })),
    ]);
    // The reads of the log by id, planned generic (as a named statement's plan may become).
    const plan = (sql: string, params: unknown[]) => planOf(sql, params, ['seqscan', 'bitmapscan'], { generic: true });
    expect(await plan('SELECT seq FROM audit.entries WHERE task_id = $1 ORDER BY seq LIMIT 10', [taskId])).toContain('using log_by_task');
    expect(await plan('SELECT seq FROM audit.entries WHERE worker_id = $1 ORDER BY seq DESC LIMIT 10', ['w-partial'])).toContain('using log_by_worker');
    expect(await plan('SELECT seq FROM audit.entries WHERE decision_id = $1', [decisionId])).toContain('using log_by_decision');
    const rows = await sqlRows<{ type: string }>(m, `SELECT type FROM audit.entries WHERE worker_id = $1 ORDER BY seq`, ['w-partial']);
    expect(rows.map((r) => r.type)).toEqual(['WorkerScored', 'DecisionRecorded']);
    expect(await sqlRows(m, `SELECT seq FROM audit.entries WHERE decision_id = $1`, [decisionId])).toHaveLength(1);
  });

  describe('heartbeats', () => {
    const beat = (workerId: string, at: string) => ({ eventId: randomUUID(), type: 'WorkerHeartbeat', occurredAt: at, data: { workerId } });
    /** The reference: the latest of `times` at or before `at`, compared as instants. */
    const latest = (times: readonly string[], at: string) => {
      const before = times.filter((t) => Date.parse(t) <= Date.parse(at)).sort((a, b) => Date.parse(a) - Date.parse(b));
      return before.length ? new Date(before[before.length - 1]).toISOString() : null;
    };
    const rowsOf = (workerId: string) =>
      sqlRows<{ bucket: Date; beats: Date[] }>(dataSource.manager, `SELECT bucket, beats FROM audit.presence_beats WHERE worker_id = $1 ORDER BY bucket`, [workerId]);

    it('keeps every heartbeat a row per worker per quarter hour, and finds the last one before any time, across buckets', async () => {
      const times = ['2026-03-01T09:59:59.999Z', '2026-03-01T10:00:00.000Z', '2026-03-01T10:14:59.999Z', '2026-03-01T10:31:00.000Z', '2026-03-01T12:00:30.000Z'];
      // Out of order, one twice in its batch, and an ordinary log entry beside them.
      await recorder.record('gig.worker-events.v1', [beat('w-hb', times[2]), beat('w-hb', times[0]), beat('w-hb', times[2]), beat('w-other', times[1])]);
      await recorder.record('gig.worker-events.v1', [beat('w-hb', times[4]), beat('w-hb', times[1]), event('WorkerWentOnline', { workerId: 'w-hb' })]);
      await recorder.record('gig.worker-events.v1', [beat('w-hb', times[3]), beat('w-hb', times[0])]); // one delivered again
      const rows = await rowsOf('w-hb');
      expect(rows.map((r) => [r.bucket.toISOString(), r.beats.map((b) => b.toISOString())])).toEqual([
        ['2026-03-01T09:45:00.000Z', [times[0]]],
        ['2026-03-01T10:00:00.000Z', [times[1], times[2]]],
        ['2026-03-01T10:30:00.000Z', [times[3]]],
        ['2026-03-01T12:00:00.000Z', [times[4]]],
      ]);
      for (const at of ['2026-03-01T09:00:00Z', ...times, '2026-03-01T10:00:00.001Z', '2026-03-01T10:15:00Z', '2026-03-01T10:30:59.999Z', '2026-03-01T11:59:59Z', '2026-03-01T12:00:00Z', '2026-03-02T00:00:00Z']) {
        expect(await presence.lastBefore('w-hb', at)).toBe(latest(times, at));
      }
      expect(await presence.lastBefore('w-nobody', '2026-03-02T00:00:00Z')).toBeNull();
      expect(await presence.lastBefore('w-other', '2026-03-02T00:00:00Z')).toBe(times[1]);
    });

    it('keeps times to the microsecond, and a time a microsecond after another is a time of its own', async () => {
      await presence.mark([{ workerId: 'w-us', at: '2026-03-01T10:14:59.999999Z' }, { workerId: 'w-us', at: '2026-03-01T10:14:59.999998Z' }, { workerId: 'w-us', at: '2026-03-01T10:15:00Z' }]);
      const rows = await sqlRows<{ bucket: string; beats: string }>(dataSource.manager, `SELECT bucket::text, beats::text FROM audit.presence_beats WHERE worker_id = 'w-us' ORDER BY bucket`);
      expect(rows).toEqual([
        { bucket: '2026-03-01 10:00:00+00', beats: '{"2026-03-01 10:14:59.999998+00","2026-03-01 10:14:59.999999+00"}' },
        { bucket: '2026-03-01 10:15:00+00', beats: '{"2026-03-01 10:15:00+00"}' },
      ]);
    });

    it('answers as a row per heartbeat would, for workers written by writers at once, in any order, with repeats', async () => {
      // A seeded walk: each worker's heartbeats 10 s to 40 min apart over two days, delivered in
      // shuffled batches by four writers at once, a fifth of them twice.
      let seed = 7;
      const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
      const start = Date.parse('2026-04-01T00:00:00Z');
      const sent = new Map<string, string[]>();
      const all: { workerId: string; at: string }[] = [];
      for (let w = 0; w < 20; w++) {
        const workerId = `w-walk-${w}`;
        const times: string[] = [];
        for (let t = start + random() * 60_000; t < start + 2 * 86_400_000; t += 10_000 + random() * (random() < 0.9 ? 110_000 : 2_400_000)) {
          times.push(new Date(Math.floor(t)).toISOString());
        }
        sent.set(workerId, times);
        for (const at of times) {
          all.push({ workerId, at });
          if (random() < 0.2) all.push({ workerId, at });
        }
      }
      for (let i = all.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [all[i], all[j]] = [all[j], all[i]];
      }
      const batches: (typeof all)[] = [];
      for (let i = 0; i < all.length; i += 250) batches.push(all.slice(i, i + 250));
      const writers = [0, 1, 2, 3].map(async (k) => {
        for (let b = k; b < batches.length; b += 4) await presence.mark(batches[b]);
      });
      await Promise.all(writers);
      const [{ beats, rows }] = await sqlRows<{ beats: number; rows: number }>(
        dataSource.manager,
        `SELECT sum(cardinality(beats))::int AS beats, count(*)::int AS rows FROM audit.presence_beats WHERE worker_id LIKE 'w-walk-%'`,
      );
      const distinct = [...sent.values()].reduce((n, times) => n + new Set(times).size, 0);
      expect(beats).toBe(distinct);
      expect(rows).toBeLessThan(distinct / 3);
      for (const [workerId, times] of sent) {
        for (let q = 0; q < 40; q++) {
          const at = new Date(start - 3_600_000 + Math.floor(random() * (2 * 86_400_000 + 7_200_000))).toISOString();
          expect(await presence.lastBefore(workerId, at)).toBe(latest(times, at));
        }
        // Exactly at a heartbeat, and a millisecond before it.
        const at = times[Math.floor(random() * times.length)];
        expect(await presence.lastBefore(workerId, at)).toBe(at);
        expect(await presence.lastBefore(workerId, new Date(Date.parse(at) - 1).toISOString())).toBe(latest(times, new Date(Date.parse(at) - 1).toISOString()));
      }
      // Read through the key, in the generic plan a named statement may come to use, on a table
      // of thousands of rows never analyzed (autovacuum is off on some servers).
      const plan = await planOf(LAST_SQL, ['w-walk-3', '2026-04-02T12:00:00Z'], [], { generic: true });
      expect(plan).toMatch(/Index Scan Backward using presence_beats_pkey/);
      expect(plan).not.toMatch(/Seq Scan|Sort/);
    }, 60_000);

    it('keeps a client heartbeating far too often in rows of bounded size, every time kept, and still finds the last one before any time', async () => {
      // Every 0.4 s for a quarter hour and more, then every 50 ms for a minute: rows of a minute
      // once the quarter hour's row is full, and of a second once a minute's is.
      const start = Date.parse('2026-06-01T10:00:00Z');
      const times: string[] = [];
      for (let t = start; t < start + 16 * 60_000; t += 400) times.push(new Date(t).toISOString());
      for (let t = start + 20 * 60_000; t < start + 21 * 60_000; t += 50) times.push(new Date(t).toISOString());
      for (let i = 0; i < times.length; i += 40) {
        const batch = times.slice(i, i + 40).map((at) => ({ workerId: 'w-flood', at }));
        // Some delivered again, in a later batch.
        if (i >= 400) batch.push({ workerId: 'w-flood', at: times[i - 400] }, { workerId: 'w-flood', at: times[i - 1] });
        await presence.mark(batch);
      }
      const [sizes] = await sqlRows<{ coarse: number; fine: number; largest: number; distinct: number; spans: number[] }>(
        dataSource.manager,
        `WITH r AS (SELECT 0 AS span, beats FROM audit.presence_beats WHERE worker_id = 'w-flood'
                    UNION ALL SELECT span, beats FROM audit.presence_beats_fine WHERE worker_id = 'w-flood')
         SELECT count(*) FILTER (WHERE span = 0)::int AS coarse, count(*) FILTER (WHERE span > 0)::int AS fine,
                max(cardinality(beats))::int AS largest, (SELECT count(DISTINCT b)::int FROM r, unnest(r.beats) b) AS distinct,
                array_agg(DISTINCT span ORDER BY span) AS spans
         FROM r`,
      );
      expect(sizes.distinct).toBe(times.length);
      expect(sizes.spans).toEqual([0, 1, 60]);
      // At most the cap and one batch's heartbeats of the worker in any row.
      expect(sizes.largest).toBeLessThanOrEqual(PRESENCE_ROW_CAP + 42);
      expect(sizes.coarse).toBeLessThanOrEqual(3);
      let seed = 11;
      const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
      for (let q = 0; q < 150; q++) {
        const at = new Date(start - 60_000 + Math.floor(random() * 24 * 60_000)).toISOString();
        expect(await presence.lastBefore('w-flood', at)).toBe(latest(times, at));
      }
      for (const i of [0, 179, 180, 181, 2_000, 2_399, 2_400, 2_579, 2_580, 2_581, times.length - 1]) {
        expect(await presence.lastBefore('w-flood', times[i])).toBe(times[i]);
        const justBefore = new Date(Date.parse(times[i]) - 1).toISOString();
        expect(await presence.lastBefore('w-flood', justBefore)).toBe(latest(times, justBefore));
      }
    }, 60_000);

    it("puts a flooding client's finer rows back into its quarter hours' rows when the migration is undone", async () => {
      const scratch = await createScratchDatabase(`clearwork_overflow_${Date.now()}`);
      const ds = await openDataSource({ url: scratch.url, schema: 'audit', migrations: AUDIT_MIGRATIONS });
      try {
        const start = Date.parse('2026-06-02T10:00:00Z');
        const beats = Array.from({ length: 1_500 }, (_, i) => ({ workerId: 'w-undo', at: new Date(start + i * 100).toISOString() }));
        const writer = new PresenceMarks(ds);
        for (let i = 0; i < beats.length; i += 100) await writer.mark(beats.slice(i, i + 100));
        const all = async (from: string) => (await sqlRows<{ b: Date }>(ds.manager, `SELECT DISTINCT b FROM ${from}, unnest(beats) b ORDER BY b`)).map((r) => r.b.toISOString());
        expect((await all('audit.presence_beats_fine')).length).toBeGreaterThan(1_000);
        await ds.undoLastMigration();
        expect(await all('audit.presence_beats')).toEqual(beats.map((b) => b.at));
        const [{ fine }] = await sqlRows<{ fine: string | null }>(ds.manager, `SELECT to_regclass('audit.presence_beats_fine')::text AS fine`);
        expect(fine).toBeNull();
      } finally {
        await ds.destroy();
        await scratch.drop();
      }
    }, 60_000);

    it('moves a row-per-heartbeat table into buckets with every time kept, and back', async () => {
      const old = await createScratchDatabase(`clearwork_presence_${Date.now()}`);
      const before = AUDIT_MIGRATIONS.filter((m) => m !== PresenceInBuckets1733400000000);
      let ds = await openDataSource({ url: old.url, schema: 'audit', migrations: before });
      try {
        await sqlRows(ds.manager, `INSERT INTO audit.presence_marks (worker_id, at)
          SELECT 'w-' || (g % 7), TIMESTAMPTZ '2026-05-01 00:00:00+00' + g * interval '61.000123 seconds' FROM generate_series(1, 3000) g`);
        const marks = async () => (await sqlRows<{ m: string }>(ds.manager, `SELECT worker_id || ' ' || at::text AS m FROM audit.presence_marks ORDER BY worker_id, at`)).map((r) => r.m);
        const was = await marks();
        expect(was).toHaveLength(3000);
        await ds.destroy();
        ds = await openDataSource({ url: old.url, schema: 'audit', migrations: AUDIT_MIGRATIONS });
        const moved = await sqlRows<{ m: string }>(ds.manager, `SELECT worker_id || ' ' || b::text AS m FROM audit.presence_beats, unnest(beats) b ORDER BY worker_id, b`);
        expect(moved.map((r) => r.m)).toEqual(was);
        const [{ outside }] = await sqlRows<{ outside: number }>(ds.manager, `SELECT count(*)::int AS outside FROM audit.presence_beats, unnest(beats) b WHERE b < bucket OR b >= bucket + interval '15 minutes'`);
        expect(outside).toBe(0);
        const reader = new PresenceMarks(ds);
        expect(await reader.lastBefore('w-3', '2026-05-01T12:00:00Z')).toBe(latest(was.filter((m) => m.startsWith('w-3 ')).map((m) => new Date(m.slice(4)).toISOString()), '2026-05-01T12:00:00Z'));
        await ds.undoLastMigration();
        expect(await marks()).toEqual(was);
      } finally {
        await ds.destroy();
        await old.drop();
      }
    }, 60_000);
  });

});
