import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyCheckpoint, verifyConsistency, verifyInclusion } from '@clearwork/audit-core';
import { TOPICS } from '@clearwork/contracts';
import { SECURITY_HEADERS } from '@clearwork/platform';
import { aTaskPosted, aWorkerEvent, aWorkerRegistered } from '@clearwork/testing';
import { Client } from 'pg';
import { Engine } from './support/engine';
import { eventually } from './support/eventually';
import { KafkaProbe } from './support/kafka-probe';
import { requireRealServers } from './support/servers';
import { sendWorkerEventsAndWait, waitForEvents } from './support/stream';

const ROOT = join(__dirname, '..');
const hex = (s: string) => Buffer.from(s, 'hex');

/**
 * The audit log end to end: decisions made by the real dispatcher are logged, explained to
 * each worker for every outcome, replayed, appealed, reported on, proven with signed
 * checkpoints, exported and verified offline; and an edit made behind the log's back is caught.
 */
describe('audit log against real Kafka, PostgreSQL and Redis', () => {
  const engine = new Engine();
  const probe = new KafkaProbe(engine.runId);
  const skill = `audit-${randomUUID().slice(0, 8)}`;
  const started = new Date(Date.now() - 60_000).toISOString();
  const workers = {
    fast: aWorkerRegistered({ skills: [skill], languages: ['en'], capacity: 2, cohort: { region: 'north' } }),
    slow: aWorkerRegistered({ skills: [skill], languages: ['en'], capacity: 2, cohort: { region: 'south' } }),
    offline: aWorkerRegistered({ skills: [skill], languages: ['en'], capacity: 1, cohort: { region: 'south' } }),
    unskilled: aWorkerRegistered({ skills: ['other'], languages: ['en'], capacity: 1 }),
  };
  const id = (w: keyof typeof workers) => workers[w].data.workerId;
  const stranger = `never-registered-${randomUUID().slice(0, 8)}`;
  let task1: ReturnType<typeof aTaskPosted>;
  let selected = '';
  let other = '';
  let decisionId = '';

  beforeAll(async () => {
    await requireRealServers();
    await probe.start([TOPICS.offers, TOPICS.decisions]);
    await engine.start();
    await sendWorkerEventsAndWait(engine, probe, [
      ...Object.values(workers),
      ...(['fast', 'slow', 'unskilled'] as const).map((w) => aWorkerEvent('WorkerWentOnline', { workerId: id(w) })),
    ]);
    task1 = aTaskPosted({ requiredSkills: [skill], languages: ['en'], payCents: 900 });
    await probe.send(TOPICS.tasks, [{ key: task1.data.taskId, value: task1 }]);
    const [offer] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => d.taskId === task1.data.taskId);
    selected = offer.data.workerId;
    other = selected === id('fast') ? id('slow') : id('fast');
    decisionId = offer.data.decisionId;
    await sendWorkerEventsAndWait(engine, probe, [aWorkerEvent('OfferAccepted', { workerId: selected, offerId: offer.data.offerId, taskId: task1.data.taskId })]);
    await waitForEvents(probe, TOPICS.offers, 'TaskAssigned', (d) => d.taskId === task1.data.taskId);
  }, 240_000);

  afterAll(async () => {
    await probe.stop();
    await engine.stop();
  }, 60_000);

  const explain = (workerId: string, taskId = task1.data.taskId, token = engine.token('worker', workerId)) =>
    engine.get('audit', `/v1/workers/${workerId}/tasks/${taskId}/explanation`, token);

  /** Waits until the audit log holds what the offers topic said happened to `workerId`. */
  const explained = (workerId: string, outcome: string, taskId = task1.data.taskId) =>
    eventually(async () => {
      const res = await explain(workerId, taskId);
      if (res.status !== 200 || res.body.outcome !== outcome) throw new Error(`explanation: ${res.status} ${res.body?.outcome}`);
      return res.body;
    }, { what: `the explanation to say ${outcome}` });

  it('explains the selected worker (assigned) and a worker ranked below, with gap, counterfactual, policy and a proof that verifies', async () => {
    const mine = await explained(selected, 'assigned');
    expect(mine).toMatchObject({ basis: 'recorded', decisionId, yours: { rank: 1 } });

    const theirs = await explained(other, 'ranked_below');
    expect(theirs).toMatchObject({ basis: 'recorded', decisionId, policy: { version: 1, weights: expect.any(Object) } });
    expect(Object.keys(theirs.gap)).toEqual(expect.arrayContaining(['quality', 'latency', 'availability', 'final']));
    expect(['improvement', 'none']).toContain(theirs.counterfactual.kind);
    expect(theirs.reasons[0]).toMatchObject({ code: 'ranked_below', text: expect.stringMatching(/higher score/) });
    expect(JSON.stringify(theirs)).not.toContain(selected);

    const { body: key } = await engine.get('audit', '/v1/log/public-key');
    const { proof } = theirs;
    expect(verifyCheckpoint(proof.checkpoint, Buffer.from(key.publicKey, 'base64'))).toBe(true);
    expect(() => verifyInclusion({ index: proof.seq, size: proof.treeSize, leafHash: hex(proof.leafHash), proof: proof.proof.map(hex), root: hex(proof.checkpoint.rootHash) })).not.toThrow();
    expect(() => verifyInclusion({ index: proof.seq, size: proof.treeSize, leafHash: hex(proof.leafHash).reverse(), proof: proof.proof.map(hex), root: hex(proof.checkpoint.rootHash) })).toThrow();
  });

  it('names the rule for ineligible workers and says when a worker was never considered, as reconstructions', async () => {
    expect(await explained(id('offline'), 'ineligible')).toMatchObject({ basis: 'reconstructed', reasons: [{ code: 'ineligible' }, { code: 'offline' }], counterfactual: { kind: 'rule', rule: 'offline' } });
    expect(await explained(id('unskilled'), 'ineligible')).toMatchObject({ reasons: [{ code: 'ineligible' }, { code: 'skill_missing' }] });
    expect(await explained(stranger, 'not_considered')).toMatchObject({ reasons: [{ code: 'not_considered' }, { code: 'not_registered' }] });
  });

  it('keeps the heartbeats workers send, to the microsecond, a row per worker per quarter hour, and not in the log', async () => {
    const times = ['2026-02-03T04:05:06.123456Z', '2026-02-03T04:06:06.5Z', '2026-02-03T04:15:00Z'];
    await sendWorkerEventsAndWait(engine, probe, times.map((at) => ({ ...aWorkerEvent('WorkerHeartbeat', { workerId: id('unskilled') }), occurredAt: at })));
    const db = new Client({ connectionString: engine.databaseUrl });
    await db.connect();
    try {
      const rows = await eventually(async () => {
        const { rows } = await db.query(`SELECT bucket::text, beats::text FROM audit.presence_beats WHERE worker_id = $1 AND bucket < '2026-02-04' ORDER BY bucket`, [id('unskilled')]);
        if (rows.map((r) => r.beats).join().split('+00').length - 1 < 3) throw new Error(`${rows.length} buckets: ${JSON.stringify(rows)}`);
        return rows;
      }, { what: 'the heartbeats to be kept' });
      expect(rows).toEqual([
        { bucket: '2026-02-03 04:00:00+00', beats: '{"2026-02-03 04:05:06.123456+00","2026-02-03 04:06:06.5+00"}' },
        { bucket: '2026-02-03 04:15:00+00', beats: '{"2026-02-03 04:15:00+00"}' },
      ]);
      const { rows: logged } = await db.query(`SELECT count(*)::int AS n FROM audit.entries WHERE type = 'WorkerHeartbeat'`);
      expect(logged[0].n).toBe(0);
    } finally {
      await db.end();
    }
  });

  it('explains a declined offer and an expired one', async () => {
    const declined = aTaskPosted({ requiredSkills: [skill], languages: ['en'] });
    const expiring = aTaskPosted({ requiredSkills: [skill], languages: ['en'], offerTtlSeconds: 5 });
    await probe.send(TOPICS.tasks, [{ key: declined.data.taskId, value: declined }, { key: expiring.data.taskId, value: expiring }]);
    const [first] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => d.taskId === declined.data.taskId);
    await sendWorkerEventsAndWait(engine, probe, [aWorkerEvent('OfferDeclined', { workerId: first.data.workerId, offerId: first.data.offerId, taskId: declined.data.taskId, reason: 'unavailable' })]);
    expect(await explained(first.data.workerId, 'declined', declined.data.taskId)).toMatchObject({ basis: 'recorded' });
    const [lapsed] = await waitForEvents(probe, TOPICS.offers, 'OfferExpired', (d) => d.taskId === expiring.data.taskId, 1, 30_000);
    expect(await explained(lapsed.data.workerId, 'expired', expiring.data.taskId)).toMatchObject({ basis: 'recorded' });
  });

  it('refuses without a token (401), another worker or a wrong role (403), revealing nothing', async () => {
    expect((await explain(other, task1.data.taskId, '')).status).toBe(401);
    const refused = await fetch(engine.url('audit', `/v1/workers/${other}/tasks/${task1.data.taskId}/explanation`));
    expect(refused.status).toBe(401);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(refused.headers.get(name)).toBe(value);
    expect(refused.headers.get('x-powered-by')).toBeNull();
    const denied = await explain(selected, task1.data.taskId, engine.token('worker', other));
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body)).not.toContain(selected);
    expect((await engine.get('audit', `/v1/workers/${selected}/export`, engine.token('worker', other))).status).toBe(403);
    expect((await engine.get('audit', '/v1/decisions', engine.token('worker', other))).status).toBe(403);
    expect((await engine.get('audit', '/v1/log/export', engine.token('reviewer'))).status).toBe(403);
    expect((await engine.get('audit', '/v1/reports/outcomes?attribute=region&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z', engine.token('platform'))).status).toBe(403);
    expect((await engine.get('audit', '/v1/decisions?limit=0', engine.token('auditor'))).body).toMatchObject({ statusCode: 400, issues: [{ path: 'limit' }] });
  });

  it('limits each client to its request rate (429 with Retry-After) without touching other clients or /health', async () => {
    // Defaults: 100 requests/s with bursts of 200 per client. 1,000 at once from one client exceed the
    // burst plus what refills while they are answered, however long that takes.
    const greedy = engine.token('worker', 'rate-limit-e2e');
    const url = engine.url('audit', '/v1/workers/rate-limit-e2e/decisions');
    const started = performance.now();
    const responses = await Promise.all(Array.from({ length: 1_000 }, () => fetch(url, { headers: { authorization: `Bearer ${greedy}` } })));
    const seconds = (performance.now() - started) / 1000;
    const refused = responses.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThanOrEqual(1_000 - 200 - Math.ceil(100 * seconds) - 5);
    expect(responses.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    expect(Number(refused[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused[0].json()).toMatchObject({ statusCode: 429 });
    await Promise.all(responses.filter((r) => !r.bodyUsed).map((r) => r.body?.cancel()));
    expect((await fetch(engine.url('audit', '/health'))).status).toBe(200);
    expect((await engine.get('audit', `/v1/workers/${selected}/decisions`, engine.token('worker', selected))).status).toBe(200);
  });

  it("gives a worker their decisions and a portable export (JSON and CSV) that survives a suspension", async () => {
    await sendWorkerEventsAndWait(engine, probe, [aWorkerEvent('WorkerSuspended', { workerId: selected, reason: 'document check pending' })]);
    const record = await eventually(async () => {
      const res = await engine.get('audit', `/v1/workers/${selected}/export`, engine.token('worker', selected));
      if (res.status !== 200 || !res.body.account.some((a: { type: string }) => a.type === 'WorkerSuspended')) throw new Error(`export ${res.status}`);
      return res.body;
    }, { what: 'the export to show the suspension' });
    expect(record.offers).toContainEqual(expect.objectContaining({ taskId: task1.data.taskId, payCents: 900, outcome: 'assigned' }));
    expect(record.assignments).toContainEqual(expect.objectContaining({ taskId: task1.data.taskId, payCents: 900 }));
    expect(record.scoreHistory.length).toBeGreaterThan(0);
    expect(record.decisions).toContainEqual(expect.objectContaining({ decisionId, selected: true, rank: 1 }));
    const csv = await fetch(engine.url('audit', `/v1/workers/${selected}/export?format=csv`), { headers: { authorization: `Bearer ${engine.token('worker', selected)}` } });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toMatch(/^record,at,task_id,decision_id,offer_id,outcome,pay_cents/);
    expect(text).toContain(`offer,`);
    const listed = await engine.get('audit', `/v1/workers/${other}/decisions`, engine.token('worker', other));
    expect(listed.body.decisions).toContainEqual(expect.objectContaining({ decisionId, selected: false, rank: 2 }));
    const { seq } = listed.body.decisions.find((d: { decisionId: string }) => d.decisionId === decisionId);
    const entry = await engine.get('audit', `/v1/log/entries/${seq}`, engine.token('auditor'));
    expect(entry.body).toMatchObject({ type: 'DecisionRecorded', decisionId });
  });

  it('lets a worker appeal and a reviewer take and resolve it, each step logged, the resolution shown in the explanation', async () => {
    const filed = await engine.post('audit', `/v1/decisions/${decisionId}/appeals`, { statement: 'My latency score was computed from a day I was offline.' }, engine.token('worker', other));
    expect(filed.status).toBe(201);
    expect((await engine.post('audit', `/v1/decisions/${decisionId}/appeals`, { statement: 'short' }, engine.token('worker', other))).body.issues[0].path).toBe('statement');
    const open = await engine.get('audit', '/v1/appeals?status=open', engine.token('reviewer'));
    expect(open.body.appeals).toContainEqual(expect.objectContaining({ appealId: filed.body.appealId, workerId: other }));
    const appeal = `/v1/appeals/${filed.body.appealId}`;
    expect((await engine.post('audit', `${appeal}/take`, {}, engine.token('reviewer', 'rev-1'))).body).toMatchObject({ status: 'in_review', reviewer: 'rev-1' });
    expect((await engine.post('audit', `${appeal}/take`, {}, engine.token('reviewer', 'rev-2'))).status).toBe(409);
    const resolved = await engine.post('audit', `${appeal}/resolution`, { outcome: 'upheld', note: 'Latency was measured only on days you were online.' }, engine.token('reviewer', 'rev-1'));
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: { outcome: 'upheld' } });
    const explanation = await explained(other, 'ranked_below');
    expect(explanation.appeals).toEqual([expect.objectContaining({ status: 'resolved', resolution: expect.objectContaining({ outcome: 'upheld' }) })]);
    const db = new Client({ connectionString: engine.databaseUrl });
    await db.connect();
    try {
      const steps = await db.query(`SELECT type FROM audit.entries WHERE source = 'audit.appeals' AND body LIKE $1 ORDER BY seq`, [`%${filed.body.appealId}%`]);
      expect(steps.rows.map((r) => r.type)).toEqual(['AppealFiled', 'AppealTaken', 'AppealResolved']);
    } finally {
      await db.end();
    }
  });

  it('lets an auditor search decisions, replay one as identical, and report outcomes per cohort (JSON and CSV)', async () => {
    const auditor = engine.token('auditor');
    const found = await engine.get('audit', `/v1/decisions?taskId=${task1.data.taskId}`, auditor);
    expect(found.body.decisions).toEqual([expect.objectContaining({ decisionId, selectedWorkerId: selected })]);
    expect((await engine.get('audit', `/v1/decisions?workerId=${other}`, auditor)).body.decisions.map((d: { decisionId: string }) => d.decisionId)).toContain(decisionId);
    const replay = await engine.post('audit', `/v1/decisions/${decisionId}/replay`, {}, auditor);
    expect(replay.body).toMatchObject({ identical: true, differences: [], policyFound: true });
    const period = `from=${started}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    const report = await engine.get('audit', `/v1/reports/outcomes?attribute=region&${period}`, auditor);
    expect(report.status).toBe(200);
    const groups = Object.fromEntries(report.body.groups.map((g: { group: string }) => [g.group, g]));
    expect(groups.north.candidacies + groups.south.candidacies).toBeGreaterThanOrEqual(2);
    expect(report.body.concentration.gini).toBeGreaterThanOrEqual(0);
    const csv = await fetch(engine.url('audit', `/v1/reports/outcomes?attribute=region&${period}&format=csv`), { headers: { authorization: `Bearer ${auditor}` } });
    expect((await csv.text()).split('\r\n')[0]).toMatch(/^attribute,from,to,group,workers,candidacies/);
  });

  it('serves signed checkpoints and consistency proofs, verifies, and exports a log the offline verifier accepts', async () => {
    const first = (await engine.get('audit', '/v1/log/checkpoint')).body;
    await probe.send(TOPICS.tasks, [{ key: 'more', value: aTaskPosted({ requiredSkills: [skill] }) }]);
    const second = await eventually(async () => {
      const c = (await engine.get('audit', '/v1/log/checkpoint')).body;
      if (c.treeSize <= first.treeSize) throw new Error('no newer checkpoint yet');
      return c;
    }, { what: 'a newer checkpoint' });
    const consistency = await engine.get('audit', `/v1/log/consistency?from=${first.treeSize}&to=${second.treeSize}`);
    expect(() => verifyConsistency({ size1: first.treeSize, size2: second.treeSize, root1: hex(first.rootHash), root2: hex(second.rootHash), proof: consistency.body.proof.map(hex) })).not.toThrow();
    const verified = await engine.get('audit', '/v1/log/verify', engine.token('auditor'));
    expect(verified.body).toMatchObject({ ok: true, problemCount: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'clearwork-export-'));
    writeFileSync(join(dir, 'trusted.json'), JSON.stringify(first));
    const file = await exportTo(dir, 'good.ndjson');
    const offline = runVerifier(file, '--trusted', join(dir, 'trusted.json'));
    expect(offline.stdout + offline.stderr).toMatch(/ok|passed|verified/i);
    expect(offline.status).toBe(0);
  });

  it('refuses UPDATE and DELETE on the log, and catches a row altered behind its back, online and offline', async () => {
    const db = new Client({ connectionString: engine.databaseUrl });
    await db.connect();
    try {
      await expect(db.query(`UPDATE audit.entries SET body = body WHERE seq = 0`)).rejects.toThrow(/append-only/);
      await expect(db.query(`DELETE FROM audit.entries WHERE seq = 0`)).rejects.toThrow(/append-only/);
      const { rows } = await db.query(`SELECT seq FROM audit.entries WHERE decision_id = $1 AND type = 'DecisionRecorded'`, [decisionId]);
      const seq = Number(rows[0].seq);
      await db.query(`ALTER TABLE audit.entries DISABLE TRIGGER entries_append_only`);
      await db.query(`UPDATE audit.entries SET body = replace(body, '"poolSize":', '"poolSize":1') WHERE seq = $1`, [seq]);
      await db.query(`ALTER TABLE audit.entries ENABLE TRIGGER entries_append_only`);
      const verified = await engine.get('audit', '/v1/log/verify', engine.token('auditor'));
      expect(verified.body.ok).toBe(false);
      expect(JSON.stringify(verified.body.problems)).toContain(String(seq));
      const offline = runVerifier(await exportTo(mkdtempSync(join(tmpdir(), 'clearwork-export-')), 'tampered.ndjson'));
      expect(offline.status).toBe(1);
      expect(offline.stdout + offline.stderr).toContain(String(seq));
    } finally {
      await db.end();
    }
  });

  async function exportTo(dir: string, name: string): Promise<string> {
    const res = await fetch(engine.url('audit', '/v1/log/export'), { headers: { authorization: `Bearer ${engine.token('auditor')}` } });
    expect(res.status).toBe(200);
    const file = join(dir, name);
    writeFileSync(file, await res.text());
    return file;
  }

  function runVerifier(...args: string[]) {
    return spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts/verify-log.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  }
});
