import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { TOPICS } from '@clearwork/contracts';
import { aTaskPosted, aWorkerEvent } from '@clearwork/testing';
import { eventually } from './support/eventually';
import { REDIS_URL } from './support/servers';
import { onlineWorkers, sendWorkerEventsAndWait, waitForEvents } from './support/stream';
import { engineSuite, logCounts } from './support/suite';

/** Processes that die with work outstanding, against the real servers. */
describe('faults', () => {
  const { engine, probe, db } = engineSuite([TOPICS.offers, TOPICS.decisions]);

  it('a dispatcher killed with offers outstanding: after a restart the offers still expire and the tasks are offered again, each decision logged once', async () => {
    const skill = `crash-${randomUUID().slice(0, 8)}`;
    const workers = await onlineWorkers(engine, probe, [{ skills: [skill] }, { skills: [skill] }]);
    const tasks = [0, 1].map(() => aTaskPosted({ requiredSkills: [skill], offerTtlSeconds: 5 }));
    await probe.send(TOPICS.tasks, tasks.map((t) => ({ key: t.data.taskId, value: t })));
    const ofTask = (taskId: string) => (d: { taskId: string }) => d.taskId === taskId;
    const first = await Promise.all(tasks.map((t) => waitForEvents(probe, TOPICS.offers, 'OfferMade', ofTask(t.data.taskId)).then(([o]) => o)));
    expect(new Set(first.map((o) => o.data.workerId))).toEqual(new Set(workers));

    await engine.kill('dispatcher'); // SIGKILL: no chance to clean up
    await new Promise((r) => setTimeout(r, 5_000)); // the offers' expiry passes while it is down
    await engine.startService('dispatcher');

    for (const [i, task] of tasks.entries()) {
      const [expired] = await waitForEvents(probe, TOPICS.offers, 'OfferExpired', ofTask(task.data.taskId), 1, 30_000);
      expect(expired.data).toMatchObject({ offerId: first[i].data.offerId, workerId: first[i].data.workerId });
      // Publishing is at least once: an offer the killed process published but had not marked as sent is published again on restart.
      const offers = await eventually(() => {
        const distinct = [...new Map(probe.events(TOPICS.offers, 'OfferMade', ofTask(task.data.taskId)).map((e) => [e.eventId, e])).values()];
        if (distinct.length < 2) throw new Error(`${distinct.length}/2 distinct offers of ${task.data.taskId}`);
        return distinct;
      }, { what: `a second offer of ${task.data.taskId}`, timeoutMs: 30_000 });
      expect(offers[1].data.attempt).toBeGreaterThan(1);
      expect(offers[1].data.workerId).not.toBe(first[i].data.workerId); // not to the worker who let it lapse
      expect(offers[1].data.offerId).not.toBe(first[i].data.offerId);
    }
    // No worker above its capacity of one: each offer to a worker comes after their previous one expired.
    const ours = (d: { taskId: string }) => tasks.some((t) => t.data.taskId === d.taskId);
    // Each offer once: one published again after the restart (same event id) is not a second offer.
    const made = [...new Map(probe.events(TOPICS.offers, 'OfferMade', ours).map((e) => [e.eventId, e])).values()];
    const closedAt = new Map(probe.events(TOPICS.offers, 'OfferExpired', ours).map((e) => [e.data.offerId, Date.parse(e.occurredAt)]));
    for (const workerId of workers) {
      const theirs = made.filter((o) => o.data.workerId === workerId).sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
      for (let i = 1; i < theirs.length; i++) expect(closedAt.get(theirs[i - 1].data.offerId)).toBeLessThanOrEqual(Date.parse(theirs[i].occurredAt));
    }

    // Every decision the dispatcher published is in the audit log exactly once, and the log verifies.
    const decisions = probe.events(TOPICS.decisions, 'DecisionRecorded', (d) => tasks.some((t) => t.data.taskId === d.taskId)).map((e) => e.eventId);
    expect(decisions.length).toBeGreaterThanOrEqual(4);
    await eventually(
      async () => {
        expect(await logCounts(db(), decisions)).toEqual({ n: String(new Set(decisions).size), d: String(new Set(decisions).size) });
      },
      { what: 'the decisions to be logged once each' },
    );
    expect((await engine.get('audit', '/v1/log/verify', engine.token('auditor'))).body).toMatchObject({ ok: true });
  });

  it('Redis losing the deployment\'s data: capacity is rebuilt from PostgreSQL, no worker goes over it, and no task is lost', async () => {
    const skill = `flush-${randomUUID().slice(0, 8)}`;
    const [worker] = await onlineWorkers(engine, probe, [{ skills: [skill], capacity: 1 }]);
    const first = aTaskPosted({ requiredSkills: [skill], offerTtlSeconds: 300 });
    await probe.send(TOPICS.tasks, [{ key: first.data.taskId, value: first }]);
    const [offer] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => d.taskId === first.data.taskId);

    // Every key of this deployment goes, as if Redis had lost its data.
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${engine.runId}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }

    // A second task for the same worker, whose one slot the open offer still holds: it must wait.
    const second = aTaskPosted({ requiredSkills: [skill] });
    await probe.send(TOPICS.tasks, [{ key: second.data.taskId, value: second }]);
    await waitForEvents(probe, TOPICS.decisions, 'DecisionRecorded', (d) => d.taskId === second.data.taskId);
    await new Promise((r) => setTimeout(r, 6_000)); // past a reconciliation, which rebuilds the counters
    expect(probe.events(TOPICS.offers, 'OfferMade', (d) => d.taskId === second.data.taskId)).toEqual([]);

    // Once the worker declines the first, the second goes to them: nothing was lost.
    await sendWorkerEventsAndWait(engine, probe, [aWorkerEvent('OfferDeclined', { workerId: worker, offerId: offer.data.offerId, taskId: first.data.taskId, reason: 'unavailable' })]);
    const [next] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => d.taskId === second.data.taskId, 1, 20_000);
    expect(next.data.workerId).toBe(worker);
  });
});
