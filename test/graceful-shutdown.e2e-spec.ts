import { randomUUID } from 'node:crypto';
import { TOPICS } from '@clearwork/contracts';
import { aTaskPosted } from '@clearwork/testing';
import { eventually } from './support/eventually';
import { engineSuite, logCounts } from './support/suite';

/**
 * SIGTERM in the middle of a backlog: the audit service finishes what it holds, commits its
 * offsets, leaves its consumer group and exits 0; once restarted it logs the rest, each event
 * exactly once, and consumes nothing a second time.
 */
describe('graceful shutdown of the audit service under load', () => {
  const { engine, probe, db } = engineSuite([TOPICS.offers]);
  const skill = `shutdown-${randomUUID().slice(0, 8)}`;
  const WARM_UP = 500;
  const BACKLOG = 6_000;
  const AFTER = 1_000;

  const logged = async (ids: readonly string[]) => Number((await logCounts(db(), ids)).d);

  it('drains, commits its offsets and exits 0 on SIGTERM; after a restart every event is logged once and none is consumed twice', async () => {
    const tasks = Array.from({ length: WARM_UP + BACKLOG + AFTER }, (_, i) => aTaskPosted({ taskId: `${skill}-${i}`, requiredSkills: [skill] }));
    const ids = tasks.map((t) => t.eventId);
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i += 500) await probe.send(TOPICS.tasks, tasks.slice(i, Math.min(to, i + 500)).map((t) => ({ key: t.data.taskId, value: t })));
    };

    await send(0, WARM_UP);
    await eventually(async () => expect(await logged(ids)).toBe(WARM_UP), { what: 'the warm-up to be logged' });
    // A backlog arrives at once; stop the service while it is working through it, batches in hand.
    await send(WARM_UP, WARM_UP + BACKLOG);
    await eventually(async () => expect(await logged(ids)).toBeGreaterThan(WARM_UP + 500), { intervalMs: 20, what: 'the backlog to be under way' });
    const started = Date.now();
    const exit = await engine.kill('audit', 'SIGTERM');
    const stopSeconds = (Date.now() - started) / 1000;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stopSeconds).toBeLessThan(15);
    const before = await logged(ids);
    expect(before).toBeGreaterThan(WARM_UP);
    // More arrives while it is down (the backlog may have been in hand, and finished, whole).
    await send(WARM_UP + BACKLOG, ids.length);

    // It left its consumer group on the way out, so a new instance gets the partitions at once
    // rather than after the group's 10 s session timeout (as after a crash).
    const restarting = Date.now();
    await engine.startService('audit');
    expect((Date.now() - restarting) / 1000).toBeLessThan(9);
    await eventually(async () => expect(await logged(ids)).toBe(ids.length), { timeoutMs: 60_000, what: 'every event to be logged' });
    // Exactly once in the log, and the restarted instance consumed only what the first had not committed.
    expect(await logCounts(db(), ids)).toEqual({ n: String(ids.length), d: String(ids.length) });
    await eventually(async () => expect(await engine.metric('audit', 'clearwork_messages_consumed_total', { topic: TOPICS.tasks, outcome: 'processed' })).toBe(ids.length - before), {
      what: 'the restarted consumer to report what it consumed',
    });
    const verify = await engine.get('audit', '/v1/log/verify', engine.token('auditor'));
    expect(verify.body).toMatchObject({ ok: true });
  });
});
