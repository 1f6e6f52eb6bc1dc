import { randomUUID } from 'node:crypto';
import { TOPICS } from '@clearwork/contracts';
import { aTaskPosted } from '@clearwork/testing';
import { Engine } from './support/engine';
import { eventually } from './support/eventually';
import { KafkaProbe } from './support/kafka-probe';
import { requireRealServers } from './support/servers';
import { waitForEvents } from './support/stream';

/**
 * Ended tasks deleted by the running dispatcher (DISPATCHER_TASK_RETENTION_DAYS, here a few
 * seconds), through the real servers: the task's history answers until then, a 404 that says
 * where its decisions are afterwards, and the audit log still has them.
 */
describe('ended tasks deleted by the running dispatcher against real Kafka, PostgreSQL and Redis', () => {
  const engine = new Engine();
  const probe = new KafkaProbe(engine.runId);
  const RETENTION_SECONDS = 6;

  beforeAll(async () => {
    await requireRealServers();
    await probe.start([TOPICS.offers, TOPICS.decisions]);
    await engine.start({ DISPATCHER_TASK_RETENTION_DAYS: String(RETENTION_SECONDS / 86_400), DISPATCHER_TASK_PRUNE_INTERVAL_MS: '1000' });
  }, 180_000);

  afterAll(async () => {
    await probe.stop();
    await engine.stop();
  }, 60_000);

  it('keeps an ended task for the retention, then deletes it, and points to the audit log, which keeps its decisions', async () => {
    // No worker has this skill: the task waits (a decision is recorded), then is cancelled and ends.
    const task = aTaskPosted({ requiredSkills: [`nobody-${randomUUID().slice(0, 8)}`] });
    const waiting = aTaskPosted({ requiredSkills: [`nobody-${randomUUID().slice(0, 8)}`] });
    await probe.send(TOPICS.tasks, [task, waiting].map((t) => ({ key: t.data.taskId, value: t })));
    const [decision] = await waitForEvents(probe, TOPICS.decisions, 'DecisionRecorded', (d) => d.taskId === task.data.taskId);
    await waitForEvents(probe, TOPICS.offers, 'TaskWaiting', (d) => d.taskId === waiting.data.taskId);
    await probe.send(TOPICS.tasks, [{ key: task.data.taskId, value: { eventId: randomUUID(), type: 'TaskCancelled', occurredAt: new Date().toISOString(), data: { taskId: task.data.taskId, reason: 'duplicate' } } }]);
    const platform = engine.token('platform');
    await eventually(async () => expect((await engine.get('dispatcher', `/v1/tasks/${task.data.taskId}`, platform)).body).toMatchObject({ state: 'cancelled' }));

    const gone = await eventually(async () => {
      const answer = await engine.get('dispatcher', `/v1/tasks/${task.data.taskId}`, platform);
      expect(answer.status).toBe(404);
      return answer;
    }, { timeoutMs: 30_000, what: 'the ended task deleted' });
    // Not before the retention had passed since the last time recorded of it: its decision.
    expect(Date.now() - Date.parse(decision.data.decidedAt)).toBeGreaterThanOrEqual(RETENTION_SECONDS * 1000);
    expect(gone.body.message).toContain(`or it ended more than`);
    expect(gone.body.message).toContain(`/v1/decisions?taskId=${task.data.taskId}`);
    expect(await engine.metric('dispatcher', 'clearwork_dispatch_tasks_pruned_total')).toBeGreaterThanOrEqual(1);

    // The task still waiting has not ended: it stays.
    expect((await engine.get('dispatcher', `/v1/tasks/${waiting.data.taskId}`, platform)).body).toMatchObject({ state: 'waiting' });
    // The audit log keeps the deleted task's decision.
    const found = await engine.get('audit', `/v1/decisions?taskId=${task.data.taskId}`, engine.token('auditor'));
    expect(found.body.decisions.map((d: { decisionId: string }) => d.decisionId)).toContain(decision.data.decisionId);
  }, 90_000);
});
