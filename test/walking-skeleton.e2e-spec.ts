import { randomUUID } from 'node:crypto';
import { deadLetterTopic, TOPICS } from '@clearwork/contracts';
import { aTaskPosted, aWorkerEvent, aWorkerRegistered } from '@clearwork/testing';
import { Engine } from './support/engine';
import { eventually } from './support/eventually';
import { KafkaProbe } from './support/kafka-probe';
import { requireRealServers } from './support/servers';

/**
 * The three services as separate processes against real Kafka, PostgreSQL and Redis: a task
 * goes in, an offer, a decision record and an explanation come out.
 */
describe('walking skeleton through real Kafka, PostgreSQL and Redis', () => {
  const engine = new Engine();
  const probe = new KafkaProbe(engine.runId);
  const skill = `skill-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await requireRealServers();
    await probe.start([TOPICS.offers, TOPICS.decisions, TOPICS.workerScores, deadLetterTopic(TOPICS.tasks), deadLetterTopic(TOPICS.workerEvents)]);
    await engine.start();
  }, 180_000);

  afterAll(async () => {
    await probe.stop();
    await engine.stop();
  }, 60_000);

  /** Sends worker events and waits until the dispatcher has processed every one of them. */
  async function sendWorkerEvents(events: { data: { workerId: string } }[]): Promise<void> {
    const before = await engine.metric('dispatcher', 'clearwork_messages_consumed_total', { topic: TOPICS.workerEvents });
    await probe.send(TOPICS.workerEvents, events.map((e) => ({ key: e.data.workerId, value: e })));
    await eventually(async () => {
      const after = await engine.metric('dispatcher', 'clearwork_messages_consumed_total', { topic: TOPICS.workerEvents });
      if (after - before < events.length) throw new Error(`dispatcher has consumed ${after - before}/${events.length} worker events`);
    }, { what: 'the dispatcher to consume the worker events' });
  }

  it('offers a task to the one registered, online worker with capacity and the right skills, records why, and explains it', async () => {
    const ready = aWorkerRegistered({ skills: [skill], languages: ['en'], capacity: 1 });
    const offline = aWorkerRegistered({ skills: [skill], languages: ['en'], capacity: 1 });
    const wrongLanguage = aWorkerRegistered({ skills: [skill], languages: ['fr'], capacity: 1 });
    const noSkill = aWorkerRegistered({ skills: ['something-else'], languages: ['en'], capacity: 1 });
    await sendWorkerEvents([
      ready, offline, wrongLanguage, noSkill,
      aWorkerEvent('WorkerWentOnline', { workerId: ready.data.workerId }),
      aWorkerEvent('WorkerWentOnline', { workerId: wrongLanguage.data.workerId }),
      aWorkerEvent('WorkerWentOnline', { workerId: noSkill.data.workerId }),
    ]);

    const task = aTaskPosted({ requiredSkills: [skill], languages: ['en'], payCents: 250 });
    await probe.send(TOPICS.tasks, [{ key: task.data.taskId, value: task }]);

    const [offer] = await eventually(() => {
      const offers = probe.events(TOPICS.offers, 'OfferMade', (d) => d.taskId === task.data.taskId);
      if (offers.length === 0) throw new Error('no OfferMade yet');
      return offers;
    }, { what: 'OfferMade' });
    expect(offer.data).toMatchObject({ workerId: ready.data.workerId, replica: 1, attempt: 1, payCents: 250, currency: 'EUR' });
    expect(Date.parse(offer.data.expiresAt)).toBeGreaterThan(Date.now());
    // Its round trips to Kafka are counted by client and request type on /metrics.
    expect(await engine.metric('dispatcher', 'clearwork_kafka_requests_total', { client: 'consumer', api: 'Fetch' })).toBeGreaterThan(0);
    expect(await engine.metric('dispatcher', 'clearwork_kafka_requests_total', { client: 'producer', api: 'Produce' })).toBeGreaterThan(0);

    const [decision] = await eventually(() => {
      const decisions = probe.events(TOPICS.decisions, 'DecisionRecorded', (d) => d.taskId === task.data.taskId);
      if (decisions.length === 0) throw new Error('no DecisionRecorded yet');
      return decisions;
    }, { what: 'DecisionRecorded' });
    expect(decision.data).toMatchObject({
      decisionId: offer.data.decisionId,
      selectedWorkerId: ready.data.workerId,
      poolSize: 3,
      filteredOut: { offline: 1, language_mismatch: 1 },
      policy: { version: 1 },
    });
    expect(decision.data.policy.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(decision.data.topK.map((c: { workerId: string }) => c.workerId)).toEqual([ready.data.workerId]);
    expect(decision.data.summary).toBe('1/3 workers eligible; 1 language_mismatch, 1 offline');

    const explanationPath = `/v1/workers/${ready.data.workerId}/tasks/${task.data.taskId}/explanation`;
    const workerToken = engine.token('worker', ready.data.workerId);
    const explanation = await eventually(async () => {
      const res = await engine.get('audit', explanationPath, workerToken);
      if (res.status !== 200) throw new Error(`explanation: ${res.status}`);
      return res.body;
    }, { what: 'the explanation' });
    expect((await engine.get('audit', explanationPath)).status).toBe(401);
    expect((await engine.get('audit', explanationPath, engine.token('worker', offline.data.workerId))).status).toBe(403);
    expect(explanation).toMatchObject({ outcome: 'offered', basis: 'recorded', decisionId: decision.data.decisionId, policy: { version: 1 } });

    await probe.send(TOPICS.workerEvents, [
      { key: ready.data.workerId, value: aWorkerEvent('OfferAccepted', { workerId: ready.data.workerId, offerId: offer.data.offerId, taskId: task.data.taskId }) },
    ]);
    await eventually(() => {
      if (probe.events(TOPICS.offers, 'TaskAssigned', (d) => d.taskId === task.data.taskId).length !== 1) throw new Error('not assigned yet');
    }, { what: 'TaskAssigned' });
    await eventually(async () => {
      const { body } = await engine.get('audit', explanationPath, workerToken);
      if (body.outcome !== 'assigned') throw new Error(`outcome ${body.outcome}`);
    }, { what: 'the explanation to say assigned' });

    // The worker is now at capacity: a second task waits rather than overloading them.
    const second = aTaskPosted({ requiredSkills: [skill], languages: ['en'] });
    await probe.send(TOPICS.tasks, [{ key: second.data.taskId, value: second }]);
    const [waiting] = await eventually(() => {
      const w = probe.events(TOPICS.offers, 'TaskWaiting', (d) => d.taskId === second.data.taskId);
      if (w.length === 0) throw new Error('no TaskWaiting yet');
      return w;
    }, { what: 'TaskWaiting' });
    expect(waiting.data.reasons).toEqual(expect.arrayContaining([{ code: 'at_capacity', count: 1 }]));

    // Submitting the first task frees the slot, and the waiting task is offered to the worker.
    await probe.send(TOPICS.workerEvents, [
      { key: ready.data.workerId, value: aWorkerEvent('TaskSubmitted', { workerId: ready.data.workerId, taskId: task.data.taskId, durationSeconds: 80 }) },
    ]);
    const [secondOffer] = await eventually(() => {
      const offers = probe.events(TOPICS.offers, 'OfferMade', (d) => d.taskId === second.data.taskId);
      if (offers.length === 0) throw new Error('waiting task not offered yet');
      return offers;
    }, { what: 'the waiting task to be offered once the slot is free' });
    expect(secondOffer.data).toMatchObject({ workerId: ready.data.workerId, attempt: 2 });
  });

  it('dead-letters a malformed message with its reason and still processes the next message on the same partition', async () => {
    const partition = 3;
    const broken = Buffer.from('{"eventId": "not even closed');
    const invalid = aTaskPosted({ priority: 42 as never });
    const good = aTaskPosted({ requiredSkills: [`${skill}-none`] });
    await probe.send(TOPICS.tasks, [
      { key: 'broken', value: broken, partition },
      { key: invalid.data.taskId, value: invalid, partition },
      { key: good.data.taskId, value: good, partition },
    ]);

    await eventually(() => {
      if (probe.events(TOPICS.decisions, 'DecisionRecorded', (d) => d.taskId === good.data.taskId).length !== 1) throw new Error('good task not decided');
    }, { what: 'the good message after the bad ones to be processed' });
    const letters = await eventually(() => {
      const mine = probe.seen.filter((m) => m.topic === deadLetterTopic(TOPICS.tasks) && m.value?.partition === partition && m.value?.consumerGroup === `${engine.runId}.dispatcher.tasks`);
      if (mine.length < 2) throw new Error(`${mine.length} dead letters`);
      return mine.map((m) => m.value);
    }, { what: 'two dead letters' });
    const [first, second] = letters.sort((a, b) => Number(a.offset) - Number(b.offset));
    expect(first).toMatchObject({ sourceTopic: TOPICS.tasks, partition, error: { kind: 'invalid_json' } });
    expect(Buffer.from(first.valueBase64, 'base64').equals(broken)).toBe(true);
    expect(second.error.kind).toBe('invalid_event');
    expect(second.error.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'data.priority' })]));
    expect(Number(second.offset)).toBe(Number(first.offset) + 1);
  });

  it('dead-letters a valid event that cannot be applied, with the reason, and carries on', async () => {
    const workerId = `worker-${randomUUID()}`;
    const bogus = aWorkerEvent('OfferAccepted', { workerId, offerId: `offer-${randomUUID()}`, taskId: 'task-never-posted' });
    const stranger = aWorkerEvent('WorkerWentOnline', { workerId });
    await probe.send(TOPICS.workerEvents, [{ key: workerId, value: bogus }, { key: workerId, value: stranger }]);
    const letters = await eventually(() => {
      const mine = probe.seen.filter((m) => m.topic === deadLetterTopic(TOPICS.workerEvents) && m.key === workerId && m.value?.consumerGroup === `${engine.runId}.dispatcher`);
      if (mine.length < 2) throw new Error(`${mine.length} dead letters`);
      return mine.map((m) => m.value);
    }, { what: 'the refused worker events to be dead-lettered' });
    expect(letters.map((l) => l.error.kind)).toEqual(['rejected', 'rejected']);
    expect(letters[0].error.message).toContain('was not made to worker');
    expect(letters[1].error.message).toContain('is not registered');
  });

  it('gives a redelivered event (same eventId) no second effect', async () => {
    const partition = 1;
    const posted = aTaskPosted({ requiredSkills: [`${skill}-dup`] });
    const sentinel = aTaskPosted({ requiredSkills: [`${skill}-dup`] });
    await probe.send(TOPICS.tasks, [
      { key: posted.data.taskId, value: posted, partition },
      { key: posted.data.taskId, value: posted, partition },
      { key: sentinel.data.taskId, value: sentinel, partition },
    ]);
    await eventually(() => {
      if (probe.events(TOPICS.decisions, 'DecisionRecorded', (d) => d.taskId === sentinel.data.taskId).length === 0) throw new Error('sentinel not decided');
    }, { what: 'the message after the duplicate to be processed' });
    // Outputs go through the outbox; give the relay a moment, then count.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(probe.events(TOPICS.decisions, 'DecisionRecorded', (d) => d.taskId === posted.data.taskId)).toHaveLength(1);
    expect(probe.events(TOPICS.offers, 'TaskWaiting', (d) => d.taskId === posted.data.taskId)).toHaveLength(1);
    const deadLettered = probe.seen.filter((m) => m.topic === deadLetterTopic(TOPICS.tasks) && m.key === posted.data.taskId);
    expect(deadLettered).toHaveLength(0);
  });

  it('refuses an event posting a task id another event posted, each time it comes, and hands back the slot planned for it', async () => {
    const twice = `${skill}-twice`;
    const worker = aWorkerRegistered({ skills: [twice], languages: ['en'], capacity: 2 });
    await sendWorkerEvents([worker, aWorkerEvent('WorkerWentOnline', { workerId: worker.data.workerId })]);
    const offersTo = (taskId: string) => probe.events(TOPICS.offers, 'OfferMade', (d) => d.taskId === taskId && d.workerId === worker.data.workerId);
    const first = aTaskPosted({ requiredSkills: [twice], languages: ['en'] });
    await probe.send(TOPICS.tasks, [{ key: first.data.taskId, value: first }]);
    await eventually(() => {
      if (offersTo(first.data.taskId).length === 0) throw new Error('no offer yet');
    }, { what: 'the first task offered' });

    // Another event posting the same task id: planned as new (a slot of the worker's claimed for it), stored nothing, refused.
    const again = aTaskPosted({ taskId: first.data.taskId, requiredSkills: [twice], languages: ['en'] });
    const refusals = () => probe.seen.filter((m) => m.topic === deadLetterTopic(TOPICS.tasks) && m.key === first.data.taskId).map((m) => m.value);
    await probe.send(TOPICS.tasks, [{ key: first.data.taskId, value: again }]);
    await eventually(() => {
      if (refusals().length < 1) throw new Error('not refused yet');
    }, { what: 'the second posting refused' });
    // Not recorded as handled: the same event delivered again is refused again.
    await probe.send(TOPICS.tasks, [{ key: first.data.taskId, value: again }]);
    await eventually(() => {
      if (refusals().length < 2) throw new Error(`${refusals().length} refusals`);
    }, { what: 'the second posting refused again' });
    expect(refusals().map((l) => l.error.message)).toEqual([expect.stringContaining('was already posted by another event'), expect.stringContaining('was already posted by another event')]);

    // The slot claimed for it was handed back: the worker (capacity 2, one offer open) is offered the next task.
    const next = aTaskPosted({ requiredSkills: [twice], languages: ['en'] });
    await probe.send(TOPICS.tasks, [{ key: next.data.taskId, value: next }]);
    await eventually(() => {
      if (offersTo(next.data.taskId).length === 0) throw new Error('no offer yet');
    }, { what: 'the next task offered to the worker' });
    expect(probe.events(TOPICS.decisions, 'DecisionRecorded', (d) => d.taskId === first.data.taskId)).toHaveLength(1);
    expect(offersTo(first.data.taskId)).toHaveLength(1);
  });
});
