import { randomUUID } from 'node:crypto';
import { deadLetterTopic, TOPICS } from '@clearwork/contracts';
import { aTaskPosted, aWorkerEvent } from '@clearwork/testing';
import { Client } from 'pg';
import { Engine } from './support/engine';
import { eventually } from './support/eventually';
import { KafkaProbe } from './support/kafka-probe';
import { requireRealServers } from './support/servers';
import { onlineWorkers, sendWorkerEventsAndWait, waitForEvents } from './support/stream';

/** Offers, answers, expiry, cancellation, waiting and giving up, through the real servers. */
describe('dispatcher offer lifecycle against real Kafka, PostgreSQL and Redis', () => {
  const engine = new Engine();
  const probe = new KafkaProbe(engine.runId);
  const seen = (d: { taskId: string }, taskId: string) => d.taskId === taskId;

  beforeAll(async () => {
    await requireRealServers();
    await probe.start([TOPICS.offers, TOPICS.decisions, TOPICS.policies, deadLetterTopic(TOPICS.workerEvents)]);
    await engine.start();
  }, 180_000);

  afterAll(async () => {
    await probe.stop();
    await engine.stop();
  }, 60_000);

  const post = (task: ReturnType<typeof aTaskPosted>) => probe.send(TOPICS.tasks, [{ key: task.data.taskId, value: task }]);

  it('offers a declined task to the next candidate, never again to the one who declined, and assigns it on acceptance', async () => {
    const skill = `decline-${randomUUID().slice(0, 8)}`;
    const [a, b] = await onlineWorkers(engine, probe, [{ skills: [skill] }, { skills: [skill] }]);
    const task = aTaskPosted({ requiredSkills: [skill] });
    await post(task);
    const [first] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, task.data.taskId));
    const decliner = first.data.workerId;
    const other = decliner === a ? b : a;
    await sendWorkerEventsAndWait(engine, probe, [aWorkerEvent('OfferDeclined', { workerId: decliner, offerId: first.data.offerId, taskId: task.data.taskId, reason: 'unavailable' })]);
    const offers = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, task.data.taskId), 2);
    expect(offers[1].data).toMatchObject({ workerId: other, attempt: 2, replica: 1 });
    const decisions = await waitForEvents(probe, TOPICS.decisions, 'DecisionRecorded', (d) => seen(d, task.data.taskId), 2);
    expect(decisions[1].data.filteredOut).toMatchObject({ declined_before: 1 });

    await sendWorkerEventsAndWait(engine, probe, [aWorkerEvent('OfferAccepted', { workerId: other, offerId: offers[1].data.offerId, taskId: task.data.taskId })]);
    const [assigned] = await waitForEvents(probe, TOPICS.offers, 'TaskAssigned', (d) => seen(d, task.data.taskId));
    expect(assigned.data).toMatchObject({ workerId: other, offerId: offers[1].data.offerId, replica: 1 });

    // The decliner's slot was released: a new task can be offered to them.
    const next = aTaskPosted({ requiredSkills: [skill] });
    await post(next);
    const [again] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, next.data.taskId));
    expect(again.data.workerId).toBe(decliner);
  });

  it('offers again a declined replica left without an offer (its decline committed, the dispatcher stopped before the next attempt), within seconds and with no other message', async () => {
    const skill = `between-${randomUUID().slice(0, 8)}`;
    const [a, b] = await onlineWorkers(engine, probe, [{ skills: [skill] }, { skills: [skill] }]);
    const task = aTaskPosted({ requiredSkills: [skill] });
    await post(task);
    const [first] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, task.data.taskId));
    // What a decline's unit leaves when the process stops before the queued attempt: the offer closed, the replica still `offered`.
    const db = new Client({ connectionString: engine.databaseUrl });
    await db.connect();
    try {
      const closed = await db.query(`UPDATE dispatcher.offers SET state = 'declined', closed_at = now() WHERE offer_id = $1 AND state = 'open'`, [first.data.offerId]);
      expect(closed.rowCount).toBe(1);
    } finally {
      await db.end();
    }
    const offers = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, task.data.taskId), 2, 15_000);
    expect(offers[1].data).toMatchObject({ workerId: first.data.workerId === a ? b : a, attempt: 2, replica: 1 });
    const decisions = await waitForEvents(probe, TOPICS.decisions, 'DecisionRecorded', (d) => seen(d, task.data.taskId), 2);
    expect(decisions[1].data.filteredOut).toMatchObject({ declined_before: 1 });
    // Offered once again only: the sweeps after find it out on offer.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(probe.events(TOPICS.offers, 'OfferMade', (d) => seen(d, task.data.taskId))).toHaveLength(2);
  }, 40_000);

  it('takes a heartbeat delivered again, or older than the worker going offline, as changing nothing; a newer one brings the worker back', async () => {
    const skill = `beat-${randomUUID().slice(0, 8)}`;
    const [worker] = await onlineWorkers(engine, probe, [{ skills: [skill] }]);
    const beat = aWorkerEvent('WorkerHeartbeat', { workerId: worker }, new Date(Date.now() - 2_000));
    await sendWorkerEventsAndWait(engine, probe, [beat, aWorkerEvent('WorkerWentOffline', { workerId: worker }, new Date(Date.now() - 1_000))]);
    // The same heartbeat again (heartbeats are not claimed), and one that says less than the offline event.
    await sendWorkerEventsAndWait(engine, probe, [beat, aWorkerEvent('WorkerHeartbeat', { workerId: worker }, new Date(Date.now() - 1_500))]);
    const first = aTaskPosted({ requiredSkills: [skill] });
    await post(first);
    const [waiting] = await waitForEvents(probe, TOPICS.offers, 'TaskWaiting', (d) => seen(d, first.data.taskId));
    expect(waiting.data.reasons).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'offline', count: 1 })]));

    await sendWorkerEventsAndWait(engine, probe, [aWorkerEvent('WorkerHeartbeat', { workerId: worker })]);
    const second = aTaskPosted({ requiredSkills: [skill] });
    await post(second);
    const [offer] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, second.data.taskId));
    expect(offer.data.workerId).toBe(worker);
  });

  it('applies worker answers fetched together in one go; one refused among them is dead-lettered with the reason and the others land, in the same unit', async () => {
    const skill = `together-${randomUUID().slice(0, 8)}`;
    await onlineWorkers(engine, probe, [{ skills: [skill] }, { skills: [skill] }, { skills: [skill] }]);
    const tasks = [aTaskPosted({ requiredSkills: [skill] }), aTaskPosted({ requiredSkills: [skill] }), aTaskPosted({ requiredSkills: [skill] })];
    for (const t of tasks) await post(t);
    const offers: { offerId: string; taskId: string; workerId: string }[] = [];
    for (const t of tasks) offers.push((await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, t.data.taskId)))[0].data);
    const answer = (type: 'OfferAccepted' | 'OfferDeclined', o: (typeof offers)[number], workerId = o.workerId) =>
      aWorkerEvent(type, { workerId, offerId: o.offerId, taskId: o.taskId, ...(type === 'OfferDeclined' ? { reason: 'unavailable' as const } : {}) });
    const stranger = `worker-${randomUUID()}`;
    const events = [
      answer('OfferAccepted', offers[0]),
      answer('OfferAccepted', offers[1], offers[0].workerId), // not their offer: refused
      aWorkerEvent('WorkerHeartbeat', { workerId: stranger }), // never registered: refused
      aWorkerEvent('WorkerHeartbeat', { workerId: offers[2].workerId }),
      answer('OfferDeclined', offers[2]),
      answer('OfferAccepted', offers[1]),
    ];
    const run = randomUUID().slice(0, 8);
    const rolledBack = () => engine.metric('dispatcher', 'clearwork_dispatch_units_total', { outcome: 'rolled_back' });
    const rolledBackBefore = await rolledBack();
    // One partition, sent together, so the dispatcher fetches them as one batch.
    await probe.send(TOPICS.workerEvents, events.map((value, i) => ({ key: `together-${run}-${i}`, value, partition: 0 })));

    for (const o of [offers[0], offers[1]]) {
      const [assigned] = await waitForEvents(probe, TOPICS.offers, 'TaskAssigned', (d) => seen(d, o.taskId));
      expect(assigned.data).toMatchObject({ workerId: o.workerId, offerId: o.offerId });
    }
    // The declined task had nobody left with a free slot: it waits, having been decided again.
    const [waiting] = await waitForEvents(probe, TOPICS.offers, 'TaskWaiting', (d) => seen(d, offers[2].taskId));
    expect(waiting.data.reasons).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'declined_before', count: 1 })]));
    const letters = await eventually(() => {
      const found = probe.seen.filter((m) => m.topic === deadLetterTopic(TOPICS.workerEvents) && m.key?.startsWith(`together-${run}-`) && m.value?.consumerGroup === `${engine.runId}.dispatcher`);
      if (found.length < 2) throw new Error(`${found.length}/2 dead letters`);
      return found;
    }, { what: "the dispatcher's two dead letters" });
    expect(letters.map((l) => l.key).sort()).toEqual([`together-${run}-1`, `together-${run}-2`]);
    const reasons = Object.fromEntries(letters.map((l) => [l.key, l.value.error.message]));
    expect(reasons[`together-${run}-1`]).toContain(`was not made to worker ${offers[0].workerId}`);
    expect(reasons[`together-${run}-2`]).toContain(`worker ${stranger} is not registered`);
    expect(probe.events(TOPICS.offers, 'TaskAssigned', (d) => seen(d, offers[1].taskId))).toHaveLength(1);
    // The refused answer did not roll back the unit (whose events would then be applied one unit each).
    expect(await rolledBack()).toBe(rolledBackBefore);
  });

  it('applies declines fetched together with acceptances and heartbeats in one go: each declined task goes to a worker who has not had it, the two to different workers', async () => {
    const skill = `declines-${randomUUID().slice(0, 8)}`;
    const workers = await onlineWorkers(engine, probe, [0, 1, 2, 3, 4].map(() => ({ skills: [skill], capacity: 1 })));
    const tasks = [aTaskPosted({ requiredSkills: [skill] }), aTaskPosted({ requiredSkills: [skill] }), aTaskPosted({ requiredSkills: [skill] })];
    for (const t of tasks) await post(t);
    const offers: { offerId: string; taskId: string; workerId: string }[] = [];
    for (const t of tasks) offers.push((await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, t.data.taskId)))[0].data);
    expect(new Set(offers.map((o) => o.workerId)).size).toBe(3); // a slot each
    const answer = (type: 'OfferAccepted' | 'OfferDeclined', o: (typeof offers)[number]) =>
      aWorkerEvent(type, { workerId: o.workerId, offerId: o.offerId, taskId: o.taskId, ...(type === 'OfferDeclined' ? { reason: 'unavailable' as const } : {}) });
    const firstDecline = answer('OfferDeclined', offers[0]);
    const events = [
      aWorkerEvent('WorkerHeartbeat', { workerId: offers[0].workerId }),
      firstDecline,
      firstDecline, // delivered twice: applied once
      aWorkerEvent('WorkerHeartbeat', { workerId: offers[1].workerId }),
      answer('OfferDeclined', offers[1]),
      answer('OfferAccepted', offers[2]),
    ];
    const run = randomUUID().slice(0, 8);
    await probe.send(TOPICS.workerEvents, events.map((value, i) => ({ key: `declines-${run}-${i}`, value, partition: 0 })));

    const [assigned] = await waitForEvents(probe, TOPICS.offers, 'TaskAssigned', (d) => seen(d, offers[2].taskId));
    expect(assigned.data).toMatchObject({ workerId: offers[2].workerId, offerId: offers[2].offerId });
    const again = [];
    for (const o of [offers[0], offers[1]]) {
      const made = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, o.taskId), 2);
      expect(made[1].data).toMatchObject({ attempt: 2, replica: 1 });
      const [, decided] = await waitForEvents(probe, TOPICS.decisions, 'DecisionRecorded', (d) => seen(d, o.taskId), 2);
      expect(decided.data).toMatchObject({ attempt: 2, selectedWorkerId: made[1].data.workerId, filteredOut: expect.objectContaining({ declined_before: 1 }) });
      again.push(made[1].data.workerId);
    }
    // The declined tasks are offered again once the unit has committed, so a decliner's freed slot
    // may take the other declined task; never its own, never the busy acceptor's (capacity 1), and
    // the two go to different workers: the second attempt saw the slot the first took.
    expect(again[0]).not.toBe(offers[0].workerId);
    expect(again[1]).not.toBe(offers[1].workerId);
    expect(new Set(again).size).toBe(2);
    for (const w of again) expect(workers.filter((x) => x !== offers[2].workerId)).toContain(w);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const o of [offers[0], offers[1]]) expect(probe.events(TOPICS.offers, 'OfferMade', (d) => seen(d, o.taskId))).toHaveLength(2);
    expect(probe.seen.filter((m) => m.topic === deadLetterTopic(TOPICS.workerEvents) && m.key?.startsWith(`declines-${run}-`))).toEqual([]);
  });

  it('expires an offer within a second of expiresAt with no other message, and offers the task to the next worker', async () => {
    const skill = `expiry-${randomUUID().slice(0, 8)}`;
    await onlineWorkers(engine, probe, [{ skills: [skill] }, { skills: [skill] }]);
    const task = aTaskPosted({ requiredSkills: [skill], offerTtlSeconds: 5 });
    await post(task);
    const [offer] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, task.data.taskId));
    const [expired] = await waitForEvents(probe, TOPICS.offers, 'OfferExpired', (d) => seen(d, task.data.taskId), 1, 15_000);
    const lateness = Date.parse(expired.occurredAt) - Date.parse(offer.data.expiresAt);
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(1_000);
    expect(expired.data).toMatchObject({ offerId: offer.data.offerId, workerId: offer.data.workerId, reason: 'ttl_elapsed' });
    const offers = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, task.data.taskId), 2);
    expect(offers[1].data.workerId).not.toBe(offer.data.workerId);
    expect(offers[1].data.attempt).toBe(2);
  });

  it('withdraws open offers when the task is cancelled and frees the worker', async () => {
    const skill = `cancel-${randomUUID().slice(0, 8)}`;
    const [worker] = await onlineWorkers(engine, probe, [{ skills: [skill] }]);
    const task = aTaskPosted({ requiredSkills: [skill] });
    await post(task);
    const [offer] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, task.data.taskId));
    await probe.send(TOPICS.tasks, [{ key: task.data.taskId, value: { eventId: randomUUID(), type: 'TaskCancelled', occurredAt: new Date().toISOString(), data: { taskId: task.data.taskId, reason: 'duplicate' } } }]);
    const [withdrawn] = await waitForEvents(probe, TOPICS.offers, 'OfferWithdrawn', (d) => seen(d, task.data.taskId));
    expect(withdrawn.data).toMatchObject({ offerId: offer.data.offerId, workerId: worker, reason: 'task_cancelled' });
    const next = aTaskPosted({ requiredSkills: [skill] });
    await post(next);
    const [again] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, next.data.taskId));
    expect(again.data.workerId).toBe(worker);
    const history = await engine.get('dispatcher', `/v1/tasks/${task.data.taskId}`, engine.token('platform'));
    expect(history.body).toMatchObject({ state: 'cancelled', offers: [{ offerId: offer.data.offerId, state: 'withdrawn' }] });
  });

  it('lets waiting tasks go out by priority, then age, when a worker comes online and frees capacity', async () => {
    const skill = `waiting-${randomUUID().slice(0, 8)}`;
    const [worker] = await onlineWorkers(engine, probe, [{ skills: [skill], online: false }]);
    const old = aTaskPosted({ requiredSkills: [skill], priority: 3 }, new Date(Date.now() - 60_000));
    const urgent = aTaskPosted({ requiredSkills: [skill], priority: 8 });
    const newer = aTaskPosted({ requiredSkills: [skill], priority: 3 });
    for (const t of [old, urgent, newer]) await post(t);
    for (const t of [old, urgent, newer]) {
      const [w] = await waitForEvents(probe, TOPICS.offers, 'TaskWaiting', (d) => seen(d, t.data.taskId));
      expect(w.data.reasons).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'offline', count: 1 })]));
    }
    await sendWorkerEventsAndWait(engine, probe, [aWorkerEvent('WorkerWentOnline', { workerId: worker })]);
    const [first] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => d.workerId === worker);
    expect(first.data.taskId).toBe(urgent.data.taskId);
    const order = [urgent, old, newer];
    for (let i = 0; i < order.length; i++) {
      const [offer] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, order[i].data.taskId));
      expect(probe.events(TOPICS.offers, 'OfferMade', (d) => d.workerId === worker)).toHaveLength(i + 1);
      await sendWorkerEventsAndWait(engine, probe, [
        aWorkerEvent('OfferAccepted', { workerId: worker, offerId: offer.data.offerId, taskId: order[i].data.taskId }),
        aWorkerEvent('TaskSubmitted', { workerId: worker, taskId: order[i].data.taskId, durationSeconds: 10 }),
      ]);
    }
    await waitForEvents(probe, TOPICS.offers, 'TaskAssigned', (d) => d.workerId === worker, 3);
  });

  it('takes tasks over HTTP with the same validation, reports their history, and gives up after the policy maximum of offers', async () => {
    const platform = engine.token('platform');
    const bad = await engine.post('dispatcher', '/v1/tasks', { ...aTaskPosted().data, priority: 12 }, platform);
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([expect.objectContaining({ path: 'priority' })]);
    expect((await engine.post('dispatcher', '/v1/tasks', aTaskPosted().data)).status).toBe(401);
    expect((await engine.post('dispatcher', '/v1/tasks', aTaskPosted().data, engine.token('worker', 'w-1'))).status).toBe(403);

    const policiesBefore = await engine.consumed(TOPICS.policies);
    const changed = await engine.post('scoring', '/v1/policies', { rationale: 'Give up sooner on hard-to-place tasks.', changes: { dispatch: { maxAttempts: 2 } } }, platform);
    expect(changed.status).toBe(201);
    await waitForEvents(probe, TOPICS.policies, 'PolicyPublished', (d) => d.version === changed.body.version);
    await eventually(async () => {
      if ((await engine.consumed(TOPICS.policies)) <= policiesBefore) throw new Error('dispatcher has not read the new policy');
    }, { what: 'the dispatcher to read the new policy' });
    const skill = `giveup-${randomUUID().slice(0, 8)}`;
    const workers = await onlineWorkers(engine, probe, [{ skills: [skill] }, { skills: [skill] }, { skills: [skill] }]);
    const task = aTaskPosted({ requiredSkills: [skill] }).data;
    const accepted = await engine.post('dispatcher', '/v1/tasks', task, platform);
    expect(accepted).toMatchObject({ status: 202, body: { taskId: task.taskId, status: 'accepted' } });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const offers = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => seen(d, task.taskId), attempt);
      const offer = offers[attempt - 1];
      expect(workers).toContain(offer.data.workerId);
      await sendWorkerEventsAndWait(engine, probe, [aWorkerEvent('OfferDeclined', { workerId: offer.data.workerId, offerId: offer.data.offerId, taskId: task.taskId })]);
    }
    const [gaveUp] = await waitForEvents(probe, TOPICS.offers, 'TaskUnassignable', (d) => seen(d, task.taskId));
    expect(gaveUp.data.reasons).toEqual([expect.objectContaining({ code: 'max_attempts', count: 2 })]);
    const decisions = probe.events(TOPICS.decisions, 'DecisionRecorded', (d) => seen(d, task.taskId));
    expect(decisions.every((d) => d.data.policy.version === changed.body.version)).toBe(true);

    const history = await eventually(async () => {
      const res = await engine.get('dispatcher', `/v1/tasks/${task.taskId}`, engine.token('auditor'));
      if (res.body?.state !== 'unassignable') throw new Error(`state ${res.body?.state}`);
      return res.body;
    }, { what: 'the task history to show it unassignable' });
    expect(history.offers.map((o: { state: string }) => o.state)).toEqual(['declined', 'declined']);
    expect(history.decisions).toHaveLength(2);
    expect(history.replicas).toEqual([expect.objectContaining({ replica: 1, state: 'unassignable' })]);
    expect((await engine.get('dispatcher', `/v1/tasks/${task.taskId}`, engine.token('worker', workers[0]))).status).toBe(403);
  });

  it('in batch mode assigns the tasks of a window together and records the batch and its objective', async () => {
    const platform = engine.token('platform');
    const policiesBefore = await engine.consumed(TOPICS.policies);
    const changed = await engine.post('scoring', '/v1/policies', {
      rationale: 'Assign tasks in batches for a better overall match.',
      changes: { dispatch: { batch: { enabled: true, windowMs: 300, candidatesPerTask: 5 } } },
    }, platform);
    expect(changed.status).toBe(201);
    await eventually(async () => {
      if ((await engine.consumed(TOPICS.policies)) <= policiesBefore) throw new Error('dispatcher has not read the new policy');
    }, { what: 'the dispatcher to read the batch policy' });
    const skill = `batch-${randomUUID().slice(0, 8)}`;
    const workers = await onlineWorkers(engine, probe, [{ skills: [skill] }, { skills: [skill] }, { skills: [skill] }]);
    const tasks = [aTaskPosted({ requiredSkills: [skill] }), aTaskPosted({ requiredSkills: [skill] }), aTaskPosted({ requiredSkills: [skill], replicas: 2 })];
    await probe.send(TOPICS.tasks, tasks.map((t) => ({ key: t.data.taskId, value: t })));
    const ids = new Set(tasks.map((t) => t.data.taskId));
    const decisions = await waitForEvents(probe, TOPICS.decisions, 'DecisionRecorded', (d) => ids.has(d.taskId), 4);
    const batched = decisions.filter((d) => d.data.mode === 'batch');
    expect(batched.length).toBeGreaterThanOrEqual(3);
    for (const d of batched) {
      expect(d.data.batch).toEqual(expect.objectContaining({ batchId: expect.any(String), objective: expect.any(Number), greedyObjective: expect.any(Number) }));
      expect(d.data.batch.objective).toBeGreaterThanOrEqual(d.data.batch.greedyObjective - 1e-9);
      expect(d.data.summary).toContain('batch');
    }
    const offers = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => ids.has(d.taskId), 3);
    expect(new Set(offers.map((o) => o.data.workerId)).size).toBe(3);
    expect(offers.every((o) => workers.includes(o.data.workerId))).toBe(true);
    const pair = offers.filter((o) => o.data.taskId === tasks[2].data.taskId);
    if (pair.length === 2) expect(pair[0].data.workerId).not.toBe(pair[1].data.workerId);
  });
});
