import { randomUUID } from 'node:crypto';
import { deadLetterTopic, TOPICS } from '@clearwork/contracts';
import { DEFAULT_POLICY, evolve, NEW_WORKER, scoreOf, type PolicyDocument, type ScoringEvent } from '@clearwork/scoring-core';
import { aTaskPosted, aWorkerEvent, aWorkerRegistered, envelope } from '@clearwork/testing';
import { Engine } from './support/engine';
import { eventually } from './support/eventually';
import { KafkaProbe } from './support/kafka-probe';
import { requireRealServers } from './support/servers';

type Profile = { reviews: boolean[]; gold: number; overrun: number; accepts: number; declines: { reason?: 'unavailable' | 'personal_emergency' }[] };

/**
 * Three workers with different habits go through real Kafka into the scoring service; their
 * order must be the one the published maths predicts, before and after a change of weights.
 */
describe('scoring against real Kafka, PostgreSQL and Redis', () => {
  const engine = new Engine();
  const probe = new KafkaProbe(engine.runId);
  const skill = `scoring-${randomUUID().slice(0, 8)}`;
  const profiles: Record<'diligent' | 'sloppy' | 'flaky', Profile> = {
    diligent: { reviews: Array(10).fill(true), gold: 2, overrun: 1.3, accepts: 10, declines: [] },
    sloppy: { reviews: [true, true, true, true, false, false, false, false, false, false], gold: 0, overrun: 0.5, accepts: 10, declines: [] },
    flaky: { reviews: [true, true, true, true, true, true, true, true, false, false], gold: 0, overrun: 1, accepts: 3, declines: [...Array(5).fill({ reason: 'unavailable' }), { reason: 'personal_emergency' }, { reason: 'personal_emergency' }] },
  };
  const ids = Object.fromEntries(Object.keys(profiles).map((k) => [k, `w-${k}-${randomUUID().slice(0, 8)}`])) as Record<keyof typeof profiles, string>;
  const platform = () => engine.token('platform');
  const expected = new Map<string, ScoringEvent[]>();

  beforeAll(async () => {
    await requireRealServers();
    await probe.start([TOPICS.workerScores, deadLetterTopic(TOPICS.workerEvents), TOPICS.policies]);
    // Two workers a recomputation and a lapse batch, so that a policy change here is recomputed
    // in several, and the three workers' presence lapses in two transactions.
    process.env.SCORING_RECOMPUTE_BATCH = '2';
    process.env.SCORING_LAPSE_BATCH = '2';
    try {
      await engine.start();
    } finally {
      delete process.env.SCORING_RECOMPUTE_BATCH;
      delete process.env.SCORING_LAPSE_BATCH;
    }
  }, 180_000);

  afterAll(async () => {
    await probe.stop();
    await engine.stop();
  }, 60_000);

  /** Scores the test expects, computed with the same published maths the service uses. */
  function predict(policy: PolicyDocument): Record<string, number> {
    const now = Date.now();
    return Object.fromEntries(
      Object.values(ids).map((id) => [id, scoreOf(policy, (expected.get(id) ?? []).reduce((s, e) => evolve(policy, s, e), NEW_WORKER), now).composite]),
    );
  }

  async function scoreOfWorker(id: string, token = platform()) {
    const res = await engine.get('scoring', `/v1/workers/${id}/score`, token);
    if (res.status !== 200) throw new Error(`score of ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Waits until every event sent has been scored: evidence counts per component match the stream. */
  async function waitForEvidence(policyVersion: number) {
    const availability = (p: Profile) => p.accepts + p.declines.filter((d) => d.reason !== 'personal_emergency').length;
    return eventually(async () => {
      const out: Record<string, { composite: number; body: any }> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
      for (const [name, p] of Object.entries(profiles)) {
        const id = ids[name as keyof typeof profiles];
        const body = await scoreOfWorker(id);
        const want = { quality: p.reviews.length, latency: p.reviews.length, availability: availability(p) };
        const got = { quality: body.components.quality.evidence, latency: body.components.latency.evidence, availability: body.components.availability.evidence };
        if (JSON.stringify(got) !== JSON.stringify(want) || body.policy.version !== policyVersion) {
          throw new Error(`${id}: evidence ${JSON.stringify(got)} of ${JSON.stringify(want)} under v${body.policy.version}`);
        }
        out[id] = { composite: body.composite, body };
      }
      return out;
    }, { timeoutMs: 45_000, what: 'every event to be scored' });
  }

  const ranked = (scores: Record<string, number>) => Object.entries(scores).sort((a, b) => b[1] - a[1]).map(([id]) => id);

  it('orders a diligent, a fast but sloppy and a flaky worker as the default policy predicts', async () => {
    const registered = Object.values(ids).map((workerId) => aWorkerRegistered({ workerId, skills: [skill], capacity: 5 }));
    await probe.send(TOPICS.workerEvents, registered.map((e) => ({ key: e.data.workerId, value: e })));

    const base = Date.now() - 3_600_000;
    const tasks: { key: string; value: unknown }[] = [];
    const events: { key: string; value: unknown }[] = [];
    for (const [name, p] of Object.entries(profiles) as [keyof typeof profiles, Profile][]) {
      const workerId = ids[name];
      const mine: ScoringEvent[] = [];
      const registeredAt = new Date(registered.find((r) => r.data.workerId === workerId)!.occurredAt);
      mine.push({ type: 'WorkerRegistered', eventId: randomUUID(), occurredAt: registeredAt.toISOString() });
      p.reviews.forEach((approved, i) => {
        const task = aTaskPosted({ requiredSkills: [`${skill}-nobody`], estimatedSeconds: 100 }, new Date(base + i * 60_000));
        tasks.push({ key: task.data.taskId, value: task });
        const at = new Date(base + i * 60_000 + 30_000);
        const submitted = aWorkerEvent('TaskSubmitted', { workerId, taskId: task.data.taskId, durationSeconds: 100 * p.overrun }, at);
        const reviewed = aWorkerEvent('TaskReviewed', { workerId, taskId: task.data.taskId, verdict: approved ? 'approved' : 'rejected', gold: i < p.gold }, at);
        events.push({ key: workerId, value: submitted }, { key: workerId, value: reviewed });
        mine.push(
          { type: 'TaskSubmitted', eventId: submitted.eventId, occurredAt: submitted.occurredAt, durationSeconds: 100 * p.overrun, estimatedSeconds: 100 },
          { type: 'TaskReviewed', eventId: reviewed.eventId, occurredAt: reviewed.occurredAt, verdict: approved ? 'approved' : 'rejected', gold: i < p.gold },
        );
      });
      for (let i = 0; i < p.accepts; i++) {
        const e = aWorkerEvent('OfferAccepted', { workerId, offerId: `o-${randomUUID()}`, taskId: `t-${i}` }, new Date(base + i * 1000));
        events.push({ key: workerId, value: e });
        mine.push({ type: 'OfferAccepted', eventId: e.eventId, occurredAt: e.occurredAt });
      }
      p.declines.forEach((d, i) => {
        const e = aWorkerEvent('OfferDeclined', { workerId, offerId: `o-${randomUUID()}`, taskId: `t-d${i}`, reason: d.reason }, new Date(base + i * 1000));
        events.push({ key: workerId, value: e });
        mine.push({ type: 'OfferDeclined', eventId: e.eventId, occurredAt: e.occurredAt, reason: d.reason });
      });
      expected.set(workerId, mine);
    }
    await probe.send(TOPICS.tasks, tasks);
    // Estimates must be known before submissions are scored against them.
    await eventually(async () => {
      const consumed = await engine.metric('scoring', 'clearwork_messages_consumed_total', { topic: TOPICS.tasks });
      if (consumed < tasks.length) throw new Error(`${consumed}/${tasks.length} tasks`);
    }, { what: 'scoring to read the task estimates' });
    // A duplicate delivery of one review must not count twice.
    const duplicate = events.find((e) => (e.value as { type: string }).type === 'TaskReviewed')!;
    await probe.send(TOPICS.workerEvents, [...events, duplicate]);

    const scores = await waitForEvidence(1);
    const actual = Object.fromEntries(Object.entries(scores).map(([id, s]) => [id, s.composite]));
    const predicted = predict(DEFAULT_POLICY);
    expect(ranked(actual)).toEqual(ranked(predicted));
    expect(ranked(actual)).toEqual([ids.diligent, ids.flaky, ids.sloppy]);
    for (const id of Object.values(ids)) expect(Math.abs(actual[id] - predicted[id])).toBeLessThan(0.005);

    // The worker sees which events moved each component, by eventId and taskId.
    const sloppy = await scoreOfWorker(ids.sloppy, engine.token('worker', ids.sloppy));
    const movers = sloppy.recentEvents.quality;
    expect(movers.length).toBeGreaterThan(0);
    expect(movers[0]).toEqual(expect.objectContaining({ type: 'TaskReviewed', taskId: expect.any(String), eventId: expect.any(String), change: expect.any(Number) }));
    expect(sloppy.components.quality).toEqual(expect.objectContaining({ evidence: 10, uncertainty: expect.any(Number), confidence: expect.any(Number) }));
    expect((await engine.get('scoring', `/v1/workers/${ids.diligent}/score`, engine.token('worker', ids.sloppy))).status).toBe(403);
    expect((await engine.get('scoring', `/v1/workers/${ids.diligent}/score`)).status).toBe(401);

    // Redis holds the current score for the dispatcher, and the compacted topic carries it.
    expect(probe.events(TOPICS.workerScores, 'WorkerScored', (d) => d.workerId === ids.diligent).length).toBeGreaterThan(1);
  });

  it('refuses an invalid policy with the field at fault, and reorders the workers as the maths says after a weights change', async () => {
    const bad = await engine.post('scoring', '/v1/policies', { rationale: 'make latency count more', changes: { weights: { quality: 0.5, latency: 0.5, availability: 0.5 } } }, platform());
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'weights', message: 'weights must sum to 1' })]));
    const noReason = await engine.post('scoring', '/v1/policies', { changes: {} }, platform());
    expect(noReason.status).toBe(400);
    expect(noReason.body.issues.map((i: { path: string }) => i.path)).toContain('rationale');
    const outOfBounds = await engine.post('scoring', '/v1/policies', { rationale: 'shorter memory for quality', changes: { quality: { halfLifeDays: 0 } } }, platform());
    expect(outOfBounds.body.issues.map((i: { path: string }) => i.path)).toContain('quality.halfLifeDays');
    expect((await engine.post('scoring', '/v1/policies', { rationale: 'a worker tries', changes: {} }, engine.token('worker', ids.flaky))).status).toBe(403);

    const weights = { quality: 0.1, latency: 0.8, availability: 0.1 };
    const published = await engine.post('scoring', '/v1/policies', { rationale: 'Speed matters most for this queue.', changes: { weights } }, platform());
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ version: 2, document: { weights }, disclosure: { importance: [{ component: 'latency', weightPercent: 80, rank: 1 }, expect.anything(), expect.anything()] } });

    const diff = await engine.get('scoring', '/v1/policies/1/diff/2');
    expect(diff.body.changes).toEqual(
      expect.arrayContaining([
        { parameter: 'weights.quality', from: 0.5, to: 0.1 },
        { parameter: 'weights.latency', from: 0.2, to: 0.8 },
        { parameter: 'weights.availability', from: 0.3, to: 0.1 },
      ]),
    );
    expect((await engine.get('scoring', '/v1/policies/current')).body.version).toBe(2);
    expect((await engine.get('scoring', '/v1/policies')).body.policies.map((p: { version: number }) => p.version)).toEqual([1, 2]);
    await eventually(() => {
      if (probe.events(TOPICS.policies, 'PolicyPublished', (d) => d.version === 2).length === 0) throw new Error('not published');
    }, { what: 'PolicyPublished v2' });

    const scores = await waitForEvidence(2);
    const actual = Object.fromEntries(Object.entries(scores).map(([id, s]) => [id, s.composite]));
    const predicted = predict({ ...DEFAULT_POLICY, version: 2, weights });
    expect(ranked(actual)).toEqual(ranked(predicted));
    expect(ranked(actual)[0]).toBe(ids.sloppy);
  });

  it('dead-letters events it cannot apply, with the reason', async () => {
    const stranger = aWorkerEvent('TaskReviewed', { workerId: `w-unknown-${randomUUID()}`, taskId: 't-1', verdict: 'approved', gold: false });
    const future = aWorkerEvent('TaskReviewed', { workerId: ids.diligent, taskId: 't-2', verdict: 'approved', gold: false }, new Date(Date.now() + 86_400_000));
    await probe.send(TOPICS.workerEvents, [
      { key: stranger.data.workerId, value: stranger },
      { key: ids.diligent, value: future },
    ]);
    const letters = await eventually(() => {
      const mine = probe.seen.filter((m) => m.topic === deadLetterTopic(TOPICS.workerEvents) && m.value?.consumerGroup === `${engine.runId}.scoring`);
      if (mine.length < 2) throw new Error(`${mine.length} dead letters`);
      return mine.map((m) => m.value.error.message as string);
    }, { what: 'scoring to dead-letter both events' });
    expect(letters).toEqual(expect.arrayContaining([expect.stringContaining('is not registered'), expect.stringContaining('in the future')]));
    const diligent = await scoreOfWorker(ids.diligent);
    expect(diligent.components.quality.evidence).toBe(10);
  });

  it('keeps every heartbeat\'s time in the worker\'s presence, ignores one sent again or out of order, and credits the whole time online', async () => {
    const workerId = `w-beats-${randomUUID().slice(0, 8)}`;
    const t0 = Date.now() - 10 * 60_000;
    const online = aWorkerEvent('WorkerWentOnline', { workerId }, new Date(t0));
    const beats = Array.from({ length: 9 }, (_, i) => aWorkerEvent('WorkerHeartbeat', { workerId }, new Date(t0 + (i + 1) * 60_000)));
    const send = (events: { data: { workerId: string } }[]) => probe.send(TOPICS.workerEvents, events.map((value) => ({ key: workerId, value })));
    const lastSeen = async (at: string) => eventually(async () => {
      const body = await scoreOfWorker(workerId);
      if (body.lastSeenAt !== at) throw new Error(`last seen ${body.lastSeenAt}, not yet ${at}`);
    }, { what: `the heartbeat of ${at} to be applied` });
    await send([aWorkerRegistered({ workerId, skills: [skill] }, new Date(t0)), online, ...beats.slice(0, 5)]);
    await lastSeen(beats[4].occurredAt);
    // Then a unit per heartbeat, each reading what the one before wrote; the fourth comes again,
    // and the first after the seventh (neither moves the time).
    for (const e of [beats[5], beats[3], beats[6], beats[0], beats[7], beats[8]]) {
      await send([e]);
      if (e !== beats[3] && e !== beats[0]) await lastSeen(e.occurredAt);
    }
    const offline = aWorkerEvent('WorkerWentOffline', { workerId }, new Date(t0 + 9 * 60_000 + 30_000));
    await send([offline]);
    const body = await eventually(async () => {
      const b = await scoreOfWorker(workerId);
      if (b.online !== false || b.lastSeenAt !== offline.occurredAt) throw new Error(`online ${b.online}, last seen ${b.lastSeenAt}`);
      return b;
    }, { what: 'the worker to go offline' });
    const policy = (await engine.get('scoring', '/v1/policies/current')).body.document as PolicyDocument;
    const fold = (events: ScoringEvent[]) => events.reduce((s, e) => evolve(policy, s, e), evolve(policy, NEW_WORKER, { type: 'WorkerRegistered', eventId: 'r', occurredAt: new Date(t0).toISOString() }));
    const asScoring = (e: { eventId: string; type: string; occurredAt: string }) => ({ eventId: e.eventId, type: e.type, occurredAt: e.occurredAt }) as ScoringEvent;
    const now = Date.parse(body.scoredAt);
    const expected = scoreOf(policy, fold([online, ...beats, offline].map(asScoring)), now).components.availability.value;
    // Had the heartbeats' times been lost, the online interval would have closed two minutes after t0 (the TTL).
    const withoutBeats = scoreOf(policy, fold([online, offline].map(asScoring)), now).components.availability.value;
    expect(Math.abs(expected - withoutBeats)).toBeGreaterThan(0.01);
    expect(body.components.availability.value).toBeCloseTo(expected, 4);
    // A heartbeat publishes a score only when it brings the worker back online (these are backdated,
    // so the late ones do): at most one of them here, and never the one sent again or out of order.
    await eventually(() => {
      const causes = probe.events(TOPICS.workerScores, 'WorkerScored', (d) => d.workerId === workerId).map((e) => e.data.causeEventId);
      if (!causes.includes(offline.eventId)) throw new Error(`the offline score is not published yet: ${JSON.stringify(causes)}`);
      const byBeats = causes.filter((c) => beats.some((b) => b.eventId === c));
      expect(byBeats.length).toBeLessThanOrEqual(1);
      expect(byBeats).not.toContain(beats[0].eventId);
      expect(byBeats).not.toContain(beats[3].eventId);
    }, { what: 'the scores published for the worker' });
  });

  it("times an answer from the offer scoring stored: an accepted offer's response time moves latency", async () => {
    const workerId = `w-answer-${randomUUID().slice(0, 8)}`;
    const t0 = Date.now() - 10 * 60_000;
    const registered = aWorkerRegistered({ workerId, skills: [skill] }, new Date(t0));
    await probe.send(TOPICS.workerEvents, [{ key: workerId, value: registered }]);
    const offerId = `o-${randomUUID()}`;
    const taskId = `t-${randomUUID()}`;
    const made = envelope('OfferMade', {
      offerId, taskId, workerId, replica: 1, attempt: 1,
      expiresAt: new Date(t0 + 120_000).toISOString(), decisionId: randomUUID(), payCents: 120, currency: 'EUR',
    }, new Date(t0 + 60_000));
    const consumedBefore = await engine.metric('scoring', 'clearwork_messages_consumed_total', { topic: TOPICS.offers });
    await probe.send(TOPICS.offers, [{ key: taskId, value: made }]);
    await eventually(async () => {
      const consumed = await engine.metric('scoring', 'clearwork_messages_consumed_total', { topic: TOPICS.offers });
      if (consumed <= consumedBefore) throw new Error('the offer is not consumed yet');
    }, { what: 'scoring to read the offer' });
    // Answered 40 s after the offer: only the offer's stored time gives the answer a response time.
    const accepted = aWorkerEvent('OfferAccepted', { workerId, offerId, taskId }, new Date(t0 + 100_000));
    await probe.send(TOPICS.workerEvents, [{ key: workerId, value: accepted }]);
    const body = await eventually(async () => {
      const b = await scoreOfWorker(workerId);
      if (b.components.availability.evidence < 1) throw new Error('the acceptance is not scored yet');
      return b;
    }, { what: 'the acceptance to be scored' });
    const policy = (await engine.get('scoring', '/v1/policies/current')).body.document as PolicyDocument;
    const fold = (responseSeconds?: number) => [
      { type: 'WorkerRegistered', eventId: registered.eventId, occurredAt: registered.occurredAt },
      { type: 'OfferAccepted', eventId: accepted.eventId, occurredAt: accepted.occurredAt, responseSeconds },
    ].reduce((st, e) => evolve(policy, st, e as ScoringEvent), NEW_WORKER);
    const now = Date.parse(body.scoredAt);
    expect(body.components.latency.evidence).toBe(1);
    expect(body.components.latency.value).toBeCloseTo(scoreOf(policy, fold(40), now).components.latency.value, 4);
    expect(scoreOf(policy, fold(undefined), now).components.latency.evidence).toBe(0);
  });

  it('lapses presence after the policy heartbeat TTL even when nothing else arrives, every worker of a sweep', async () => {
    const published = await engine.post('scoring', '/v1/policies', { rationale: 'Short heartbeat window for this fleet.', changes: { presence: { heartbeatTtlSeconds: 10 } } }, platform());
    expect(published.status).toBe(201);
    const workers = Object.values(ids);
    await probe.send(TOPICS.workerEvents, workers.map((workerId) => ({ key: workerId, value: aWorkerEvent('WorkerWentOnline', { workerId }) })));
    await eventually(async () => {
      for (const id of workers) if ((await scoreOfWorker(id)).online !== true) throw new Error(`${id} not online yet`);
    }, { what: 'the workers to be online' });
    const onlineAt = Date.now();
    const lapsed = await eventually(async () => {
      const bodies = await Promise.all(workers.map((id) => scoreOfWorker(id)));
      const still = bodies.filter((b) => b.online !== false);
      if (still.length > 0) throw new Error(`${still.length} of ${workers.length} still online`);
      return bodies;
    }, { timeoutMs: 25_000, intervalMs: 500, what: 'presence to lapse' });
    for (const body of lapsed) expect(body.lastSeenAt).toEqual(expect.any(String));
    await eventually(() => {
      for (const id of workers) {
        const scored = probe.events(TOPICS.workerScores, 'WorkerScored', (d) => d.workerId === id && d.causeEventId === undefined && Date.parse(d.scoredAt) >= onlineAt + 9_000);
        if (scored.length === 0) throw new Error(`no republished score yet for ${id}`);
      }
    }, { what: 'the lapse to republish every score' });
  });
});
