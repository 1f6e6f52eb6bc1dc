import { randomUUID } from 'node:crypto';
import { TOPICS } from '@clearwork/contracts';
import { aTaskPosted, aWorkerEvent } from '@clearwork/testing';
import { eventually } from './support/eventually';
import { serverAction } from './support/server-control';
import { onlineWorkers, sendWorkerEventsAndWait, waitForEvents } from './support/stream';
import { engineSuite, logCounts } from './support/suite';

type Task = ReturnType<typeof aTaskPosted>;

/**
 * The servers under the engine crash or restart while tasks are in flight: the Kafka broker
 * killed and restarted, PostgreSQL restarted, Redis restarted with its data gone. After each,
 * every task has been offered exactly once (offers here outlive the test, so a second offer
 * could only be a double assignment), no worker holds more offers than their capacity of one,
 * every decision is in the audit log once, and the log verifies.
 */
describe('server faults', () => {
  const { engine, probe, db } = engineSuite([TOPICS.offers, TOPICS.decisions]);

  const tasksFor = (skill: string, n: number) => Array.from({ length: n }, () => aTaskPosted({ requiredSkills: [skill], offerTtlSeconds: 3_600 }));
  const post = (tasks: readonly Task[]) => probe.send(TOPICS.tasks, tasks.map((t) => ({ key: t.data.taskId, value: t })));
  const offersOf = (tasks: readonly Task[]) => probe.events(TOPICS.offers, 'OfferMade', (d) => tasks.some((t) => t.data.taskId === d.taskId));

  async function allOffered(tasks: readonly Task[], timeoutMs = 90_000): Promise<void> {
    try {
      await eventually(
        async () => {
          const offered = new Set(offersOf(tasks).map((o) => o.data.taskId));
          if (offered.size < tasks.length) throw new Error(`${offered.size}/${tasks.length} tasks offered`);
        },
        { what: 'every task to be offered', timeoutMs },
      );
    } catch (error) {
      // Say what the dispatcher knows of each task that was not offered.
      const offered = new Set(offersOf(tasks).map((o) => o.data.taskId));
      const missing = tasks.filter((t) => !offered.has(t.data.taskId));
      const states = await Promise.all(
        missing.map(async (t) => {
          const res = await engine.get('dispatcher', `/v1/tasks/${t.data.taskId}`, engine.token('platform'));
          const decided = probe.events(TOPICS.decisions, 'DecisionRecorded', (d) => d.taskId === t.data.taskId).length;
          return `${t.data.taskId}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 400)}; decisions seen ${decided}`;
        }),
      );
      throw new Error(`${(error as Error).message}\n${states.join('\n')}`);
    }
  }

  /** What must hold after every fault. */
  async function expectSound(tasks: readonly Task[], workers: readonly string[]): Promise<void> {
    const offers = offersOf(tasks);
    for (const task of tasks) {
      const ids = new Set(offers.filter((o) => o.data.taskId === task.data.taskId).map((o) => o.data.offerId));
      expect({ taskId: task.data.taskId, offers: ids.size }).toEqual({ taskId: task.data.taskId, offers: 1 });
    }
    for (const workerId of workers) {
      const held = new Set(offers.filter((o) => o.data.workerId === workerId).map((o) => o.data.offerId));
      expect({ workerId, atMostOne: held.size <= 1 }).toEqual({ workerId, atMostOne: true });
    }
    // The decisions topic is read apart from the offers topic: a decision published with its offer may reach the probe later.
    const decisions = await eventually(
      async () => {
        const ids = probe.events(TOPICS.decisions, 'DecisionRecorded', (d) => tasks.some((t) => t.data.taskId === d.taskId)).map((e) => e.eventId);
        expect(new Set(ids).size).toBeGreaterThanOrEqual(tasks.length);
        return ids;
      },
      { what: 'a decision for every task', timeoutMs: 30_000 },
    );
    await eventually(
      async () => {
        expect(await logCounts(db(), decisions)).toEqual({ n: String(new Set(decisions).size), d: String(new Set(decisions).size) });
      },
      { what: 'every decision to be logged once', timeoutMs: 60_000 },
    );
    await eventually(
      async () => {
        expect((await engine.get('audit', '/v1/log/verify', engine.token('auditor'))).body).toMatchObject({ ok: true });
      },
      { what: 'the log to verify', timeoutMs: 30_000 },
    );
  }

  /**
   * Tasks in three waves of `perWave` for 3 × `perWave` workers: the first offered before the
   * fault, the second posted by `fault` as it strikes, the third after. Returns the first wave.
   */
  async function survives(name: string, perWave: number, fault: (postDuring: () => Promise<void>) => Promise<unknown>): Promise<Task[]> {
    const skill = `${name}-${randomUUID().slice(0, 8)}`;
    const workers = await onlineWorkers(engine, probe, Array.from({ length: 3 * perWave }, () => ({ skills: [skill] })));
    const [before, during, after] = [tasksFor(skill, perWave), tasksFor(skill, perWave), tasksFor(skill, perWave)];
    await post(before);
    await allOffered(before);

    await fault(() => post(during));
    await post(after);

    await allOffered([...before, ...during, ...after], 150_000);
    await expectSound([...before, ...during, ...after], workers);
    return before;
  }

  it('the Kafka broker killed mid-stream and restarted: nothing lost, nothing offered twice', async () => {
    await survives('kafka', 8, async (postDuring) => {
      await postDuring(); // the dispatcher is still working on these when the broker dies
      await serverAction('killKafka');
      await new Promise((r) => setTimeout(r, 3_000));
      await serverAction('startKafka');
    });
  }, 300_000);

  it('PostgreSQL restarted while tasks arrive: nothing lost, nothing offered twice', async () => {
    const before = await survives('pg', 6, (postDuring) => Promise.all([postDuring(), serverAction('restartPostgres')]));
    // The read side is back too: a worker's explanation comes from the database.
    const [offer] = offersOf(before);
    const explanation = await engine.get('audit', `/v1/workers/${offer.data.workerId}/tasks/${offer.data.taskId}/explanation`, engine.token('worker', offer.data.workerId));
    expect(explanation.status).toBe(200);
  }, 300_000);

  it('Redis restarted with its data gone: capacity is rebuilt from PostgreSQL, no worker goes over it, and no task is lost', async () => {
    const skill = `redis-${randomUUID().slice(0, 8)}`;
    const workers = await onlineWorkers(engine, probe, Array.from({ length: 12 }, () => ({ skills: [skill] })));
    const [before, after] = [tasksFor(skill, 5), tasksFor(skill, 7)];
    await post(before);
    await allOffered(before);

    await serverAction('restartRedis');
    await post(after);
    await allOffered([...before, ...after]);

    // Every worker now holds one open offer: one more task must wait, whatever Redis forgot.
    const extra = tasksFor(skill, 1);
    await post(extra);
    await waitForEvents(probe, TOPICS.decisions, 'DecisionRecorded', (d) => d.taskId === extra[0].data.taskId, 1, 30_000);
    await new Promise((r) => setTimeout(r, 6_000)); // past a reconciliation, which rebuilds the counters
    expect(offersOf(extra)).toEqual([]);
    await expectSound([...before, ...after], workers);

    // A worker declines: the waiting task goes to them.
    const [declined] = offersOf(before);
    await sendWorkerEventsAndWait(engine, probe, [aWorkerEvent('OfferDeclined', { workerId: declined.data.workerId, offerId: declined.data.offerId, taskId: declined.data.taskId, reason: 'unavailable' })]);
    const [next] = await waitForEvents(probe, TOPICS.offers, 'OfferMade', (d) => d.taskId === extra[0].data.taskId, 1, 30_000);
    expect(next.data.workerId).toBe(declined.data.workerId);
  }, 300_000);
});
