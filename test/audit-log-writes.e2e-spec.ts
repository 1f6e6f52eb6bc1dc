/*
 * The audit log's write paths against a real PostgreSQL: COPY and JSON-row inserts keep every
 * value byte for byte, a group commit that meets entries already logged (Kafka redelivery)
 * writes only the new ones and keeps the chain whole, and a decision delivered twice or
 * malformed does not stop its candidates or anyone else's.
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
import { AUDIT_MIGRATIONS } from '../apps/audit/src/migrations';
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
    recorder = new LogRecorder(dataSource, appender);
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
});
