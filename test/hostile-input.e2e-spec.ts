import { randomUUID } from 'node:crypto';
import { AppealRequest, AppealResolution } from '../apps/audit/src/appeals/appeal-schemas';
import { deadLetterTopic, DeadLetterRecord, TaskPostedData, TOPIC_SCHEMAS, TOPICS, Uuid, type TopicName } from '@clearwork/contracts';
import { decodeMessage } from '@clearwork/platform';
import { PolicyChangeRequest } from '@clearwork/scoring-core';
import { aTaskPosted, aWorkerRegistered } from '@clearwork/testing';
import { MALFORMED_JSON_TEXTS, nasty, withOneFieldReplaced } from '@clearwork/testing/hostile';
import fc from 'fast-check';
import type { z } from 'zod';
import { logEventStream } from '../bench/support/log-event-stream';
import { seededRandom } from '../bench/support/report';
import { CONSUMER_GROUPS, type ServiceName, SERVICE_NAMES, TOPICS_READ_BY } from './support/engine';
import { eventually } from './support/eventually';
import { engineSuite, logCounts } from './support/suite';

const ALL_TOPICS = Object.values(TOPICS) as TopicName[];
/** The services whose consumer groups read each topic. */
const READERS = Object.fromEntries(ALL_TOPICS.map((topic) => [topic, SERVICE_NAMES.filter((s) => TOPICS_READ_BY[s].includes(topic))])) as Record<TopicName, ServiceName[]>;

/**
 * Hostile input from outside, end to end against the running engine: every HTTP body and every
 * topic gets malformed, oversized and hostile values. Each must be refused with its reason (a 400
 * naming the field, a 413, or a dead letter), no service may fail, and nothing else changes:
 * valid data sent after the hostile messages on the same partitions is processed as usual.
 */
describe('hostile input', () => {
  const { engine, probe, db } = engineSuite(ALL_TOPICS.map(deadLetterTopic));
  // Each request its own subject, so the fuzz is not throttled by the per-client rate limit.
  const as = (role: 'platform' | 'worker' | 'reviewer') => engine.token(role, `${role}-${randomUUID()}`);

  async function rawPost(service: ServiceName, path: string, body: string, token: string, contentType = 'application/json') {
    const res = await fetch(engine.url(service, path), { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${token}` }, body });
    const text = await res.text();
    let json: { message?: unknown } | null = null;
    try {
      json = JSON.parse(text) as { message?: unknown };
    } catch {
      json = null;
    }
    return { status: res.status, json, text };
  }

  /** What no hostile request may change: the tasks the dispatcher knows, the log, the policy, the appeals. */
  async function stateOfTheEngine() {
    const count = async (table: string) => (await db().query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n;
    return {
      tasks: await count('dispatcher.tasks'),
      entries: await count('audit.entries'),
      appeals: await count('audit.appeals'),
      policy: (await engine.get('scoring', '/v1/policies/current')).body.version,
    };
  }

  // The engine's start publishes policy v1 (enqueued by scoring's first migration); the audit logs
  // it soon after. "Nothing changed" is judged once it has, not against a log still filling.
  beforeAll(async () => {
    await eventually(async () => {
      const { n } = (await db().query<{ n: string }>(`SELECT count(*) AS n FROM audit.entries`)).rows[0];
      if (Number(n) < 1) throw new Error('the start-up policy is not logged yet');
    }, { what: "the audit log to hold the start-up policy" });
  }, 60_000);

  const BODY_ENDPOINTS: { name: string; service: ServiceName; path: () => string; role: 'platform' | 'worker' | 'reviewer'; schema: z.ZodType; valid: () => object }[] = [
    { name: 'POST /v1/tasks', service: 'dispatcher', path: () => '/v1/tasks', role: 'platform', schema: TaskPostedData.extend({ eventId: Uuid.optional() }), valid: () => aTaskPosted().data },
    { name: 'POST /v1/policies', service: 'scoring', path: () => '/v1/policies', role: 'platform', schema: PolicyChangeRequest, valid: () => ({ rationale: 'Weigh quality a little more.', changes: { weights: { quality: 0.5, latency: 0.25, availability: 0.25 } } }) },
    { name: 'POST /v1/decisions/{id}/appeals', service: 'audit', path: () => `/v1/decisions/${randomUUID()}/appeals`, role: 'worker', schema: AppealRequest, valid: () => ({ statement: 'I was online and closest to the task.' }) },
    { name: 'POST /v1/appeals/{id}/resolution', service: 'audit', path: () => `/v1/appeals/${randomUUID()}/resolution`, role: 'reviewer', schema: AppealResolution, valid: () => ({ outcome: 'upheld', note: 'The ranking followed the published policy.' }) },
  ];

  it.each(BODY_ENDPOINTS)('$name: hostile bodies get a 400 with the reason or a 413, and change nothing', async ({ service, path, role, schema, valid }) => {
    const before = await stateOfTheEngine();
    const expectRefused = (res: Awaited<ReturnType<typeof rawPost>>, what: string) => {
      if (res.status === 413) return;
      expect({ what, status: res.status }).toEqual({ what, status: 400 });
      expect(typeof res.json?.message).toBe('string');
      expect((res.json!.message as string).length).toBeGreaterThan(0);
    };

    // A valid body with one field made hostile, and arbitrary JSON: only those the schema refuses are sent.
    const hostile = fc.oneof(
      fc.tuple(fc.integer(), nasty).map(([pick, value]) => withOneFieldReplaced(valid(), pick, value) as unknown),
      fc.jsonValue({ maxDepth: 4 }),
    ).filter((body) => !schema.safeParse(body).success);
    await fc.assert(
      fc.asyncProperty(hostile, async (body) => {
        const res = await rawPost(service, path(), JSON.stringify(body), as(role));
        expectRefused(res, JSON.stringify(body).slice(0, 200));
        // The field at fault is named, unless the body was not even an object of the right shape.
        if (res.status === 400 && typeof body === 'object' && body !== null && !Array.isArray(body)) expect(res.json!.message).toMatch(/invalid [a-z ]+: /);
      }),
      { numRuns: 60 },
    );
    for (const text of MALFORMED_JSON_TEXTS) expectRefused(await rawPost(service, path(), text, as(role)), text.slice(0, 50));
    expect((await rawPost(service, path(), JSON.stringify({ ...valid(), padding: 'x'.repeat(200_000) }), as(role))).status).toBe(413);
    expectRefused(await rawPost(service, path(), 'statement=hello', as(role), 'application/x-www-form-urlencoded'), 'form body');

    // Every service is still up, and nothing changed.
    for (const s of ['dispatcher', 'scoring', 'audit'] as const) expect((await engine.get(s, '/health')).status).toBe(200);
    expect(await stateOfTheEngine()).toEqual(before);
  });

  it('hostile query strings and path parameters get a 400 with the reason, never a failure', async () => {
    const auditor = () => engine.token('auditor', `auditor-${randomUUID()}`);
    const hostileText = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('-1', 'NaN', 'Infinity', '1e999', '__proto__', 'x'.repeat(5_000), '%00', '[]'));
    const paths = [
      (v: string) => `/v1/decisions?limit=${encodeURIComponent(v)}`,
      (v: string) => `/v1/decisions?from=${encodeURIComponent(v)}`,
      (v: string) => `/v1/reports/outcomes?attribute=${encodeURIComponent(v)}&from=2026-01-01T00:00:00Z&to=${encodeURIComponent(v)}`,
      (v: string) => `/v1/appeals?status=${encodeURIComponent(v)}`,
      (v: string) => `/v1/log/consistency?from=${encodeURIComponent(v)}&to=2`,
      (v: string) => `/v1/decisions/${encodeURIComponent(v)}`,
    ];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: paths.length - 1 }), hostileText, async (which, value) => {
        const res = await engine.get('audit', paths[which](value), auditor());
        expect({ path: paths[which](value).slice(0, 80), failed: res.status >= 500 }).toEqual({ path: paths[which](value).slice(0, 80), failed: false });
        if (res.status === 400) expect(res.body.message).toMatch(/invalid|must|expected/i);
      }),
      { numRuns: 120 },
    );
    expect((await engine.get('audit', '/health')).status).toBe(200);
  });

  it('every topic: hostile messages are dead-lettered with the reason by each reader, and valid events behind them on the same partition go through', async () => {
    const run = randomUUID().slice(0, 8);
    const stream = logEventStream({ count: 60, random: seededRandom(7) });
    const validOf: Partial<Record<TopicName, { eventId: string }>> = {
      [TOPICS.tasks]: aTaskPosted(),
      [TOPICS.workerEvents]: aWorkerRegistered(),
      [TOPICS.decisions]: stream.find((e) => e.topic === TOPICS.decisions)!.event,
      [TOPICS.offers]: stream.find((e) => e.topic === TOPICS.offers)!.event,
    };
    // Hostile messages for each topic, fixed by a seed; mutated events are sent only when the decoder must refuse them.
    const sent: { topic: TopicName; key: string }[] = [];
    for (const [t, topic] of ALL_TOPICS.entries()) {
      const template = validOf[topic] ?? aTaskPosted();
      const mutated = fc.sample(fc.tuple(fc.integer(), nasty).map(([pick, value]) => Buffer.from(JSON.stringify(withOneFieldReplaced(template, pick, value)))), { numRuns: 40, seed: 100 + t });
      const refused = mutated.filter((b) => !decodeMessage(TOPIC_SCHEMAS[topic], b).ok).slice(0, 6);
      expect(refused.length).toBeGreaterThanOrEqual(3);
      const values: (Buffer | string)[] = [
        ...MALFORMED_JSON_TEXTS.slice(1, 8),
        ...fc.sample(fc.uint8Array({ minLength: 1, maxLength: 300 }), { numRuns: 3, seed: t }).map((b) => Buffer.from(b)),
        JSON.stringify({ ...template, type: 'SomethingElse' }),
        JSON.stringify({ ...template, padding: 'x'.repeat(300 * 1024) }),
        ...refused,
      ];
      const messages = values.map((value, i) => ({ key: `hostile-${run}-${t}-${i}`, value, partition: 0 }));
      sent.push(...messages.map((m) => ({ topic, key: m.key })));
      await probe.send(topic, messages);
      if (validOf[topic]) await probe.send(topic, [{ key: `valid-${run}-${t}`, value: validOf[topic], partition: 0 }]);
    }

    // Each reader dead-letters each hostile message once, saying why.
    await eventually(
      async () => {
        const missing: string[] = [];
        for (const { topic, key } of sent) {
          for (const reader of READERS[topic]) {
            const group = CONSUMER_GROUPS.find((g) => g.group.split('.')[0] === reader && g.topics.includes(topic))!.group;
            const letters = probe.seen.filter((m) => m.topic === deadLetterTopic(topic) && m.key === key && m.value?.consumerGroup === `${engine.runId}.${group}`);
            if (letters.length === 0) missing.push(`${reader} ${key}`);
          }
        }
        if (missing.length > 0) throw new Error(`${missing.length} dead letters missing, e.g. ${missing.slice(0, 3).join(', ')}`);
      },
      { what: 'every hostile message to be dead-lettered by each reader', timeoutMs: 90_000 },
    );
    const letters = probe.seen.filter((m) => m.topic.endsWith('.dlq') && m.key?.startsWith(`hostile-${run}-`) && m.value?.consumerGroup?.startsWith(engine.runId));
    for (const letter of letters) {
      const record = DeadLetterRecord.parse(letter.value);
      expect(record.error.message.length).toBeGreaterThan(0);
      expect(['invalid_json', 'invalid_event', 'too_large', 'rejected']).toContain(record.error.kind);
    }
    expect(letters.some((l) => l.value.error.kind === 'too_large')).toBe(true);

    // The valid events behind them were processed: the audit log has each once, and the dispatcher decided the task.
    const validIds = Object.values(validOf).map((e) => e!.eventId);
    await eventually(
      async () => {
        expect(await logCounts(db(), validIds)).toEqual({ n: String(validIds.length), d: String(validIds.length) });
      },
      { what: 'the valid events to be logged', timeoutMs: 60_000 },
    );
    const task = validOf[TOPICS.tasks] as ReturnType<typeof aTaskPosted>;
    await eventually(async () => expect((await engine.get('dispatcher', `/v1/tasks/${task.data.taskId}`, engine.token('platform'))).status).toBe(200), { what: 'the dispatcher to know the valid task' });
    for (const s of ['dispatcher', 'scoring', 'audit'] as const) expect((await engine.get(s, '/health')).status).toBe(200);
    expect((await engine.get('audit', '/v1/log/verify', engine.token('auditor'))).body).toMatchObject({ ok: true });
  });
});
