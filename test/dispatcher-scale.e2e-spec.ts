import { randomUUID } from 'node:crypto';
import { TOPICS } from '@clearwork/contracts';
import { aTaskPosted, aWorkerEvent } from '@clearwork/testing';
import { eventually } from './support/eventually';
import { onlineWorkers } from './support/stream';
import { engineSuite } from './support/suite';

/**
 * Two dispatcher processes in one consumer group on one stream, one of them killed mid-stream:
 * no task assigned twice, no worker ever above capacity, and every task ends assigned or
 * unassignable.
 */
describe('two dispatcher instances, one killed mid-stream', () => {
  const { engine, probe, db: database } = engineSuite([TOPICS.offers, TOPICS.decisions]);
  const skill = `scale-${randomUUID().slice(0, 8)}`;
  const TASKS = 120;
  const WORKERS = 15;
  const CAPACITY = 2;

  beforeAll(() => engine.startService('dispatcher', 'dispatcher-2'), 60_000);

  it('assigns every task once, keeps every worker within capacity, and loses nothing when an instance dies', async () => {
    const db = database();
    await onlineWorkers(engine, probe, Array.from({ length: WORKERS }, () => ({ skills: [skill], capacity: CAPACITY })));

    // A platform that answers every offer: mostly accepts (then submits soon after), sometimes declines.
    const answered = new Set<string>();
    let stop = false;
    const overCapacity: string[] = [];
    const responder = (async () => {
      let n = 0;
      while (!stop) {
        const fresh = probe.events(TOPICS.offers, 'OfferMade', (d) => d.taskId.startsWith(skill) && !answered.has(d.offerId));
        const messages: { key: string; value: unknown }[] = [];
        for (const offer of fresh) {
          answered.add(offer.data.offerId);
          const { workerId, offerId, taskId } = offer.data;
          if (n++ % 5 === 4) messages.push({ key: workerId, value: aWorkerEvent('OfferDeclined', { workerId, offerId, taskId }) });
          else {
            messages.push({ key: workerId, value: aWorkerEvent('OfferAccepted', { workerId, offerId, taskId }) });
            messages.push({ key: workerId, value: aWorkerEvent('TaskSubmitted', { workerId, taskId, durationSeconds: 30 }) });
          }
        }
        if (messages.length) await probe.send(TOPICS.workerEvents, messages);
        const rows = await db.query(
          `SELECT h.worker_id, count(*)::int AS held, w.capacity FROM (
             SELECT worker_id FROM dispatcher.offers WHERE state = 'open'
             UNION ALL SELECT worker_id FROM dispatcher.assignments WHERE finished_at IS NULL) h
           JOIN dispatcher.workers w USING (worker_id) GROUP BY h.worker_id, w.capacity HAVING count(*) > w.capacity`,
        );
        for (const r of rows.rows) overCapacity.push(`${r.worker_id} held ${r.held} of ${r.capacity}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const tasks = Array.from({ length: TASKS }, (_, i) => aTaskPosted({ taskId: `${skill}-t${i}`, requiredSkills: [skill], offerTtlSeconds: 10 }));
    const half = TASKS / 2;
    await probe.send(TOPICS.tasks, tasks.slice(0, half).map((t) => ({ key: t.data.taskId, value: t })));
    await eventually(() => {
      const decided = new Set(probe.events(TOPICS.decisions, 'DecisionRecorded', (d) => d.taskId.startsWith(skill)).map((d) => d.data.taskId));
      if (decided.size < half / 2) throw new Error(`${decided.size} tasks decided`);
    }, { what: 'the stream to be under way' });
    // Both instances share the work...
    const tasksSeenBySecond = async () => {
      const text = await (await fetch(`http://127.0.0.1:${engine.portOf('dispatcher-2')}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith('clearwork_messages_consumed_total{') && l.includes(`topic="${TOPICS.tasks}"`)).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    };
    // (each instance handles a fetch's tasks in one call, so the second may finish its first a little after the first instance)
    await eventually(async () => {
      const seen = await tasksSeenBySecond();
      if (seen === 0) throw new Error('the second instance has handled no task yet');
    }, { what: 'the second instance to handle tasks' });
    // ...until one dies without warning, mid-stream, while the second half arrives.
    const sending = probe.send(TOPICS.tasks, tasks.slice(half).map((t) => ({ key: t.data.taskId, value: t })));
    await engine.kill('dispatcher-2', 'SIGKILL');
    await sending;

    const finals = await eventually(async () => {
      const { rows } = await db.query(
        `SELECT t.task_id, r.state FROM dispatcher.tasks t JOIN dispatcher.task_replicas r USING (task_id) WHERE t.task_id LIKE $1`,
        [`${skill}-t%`],
      );
      const unfinished = rows.filter((r) => r.state !== 'assigned' && r.state !== 'unassignable');
      if (rows.length < TASKS || unfinished.length > 0) {
        // The states they are in say where to look when this times out (a stranded wait, an offer never answered, a task never taken up).
        const states = new Map<string, number>();
        for (const r of unfinished) states.set(r.state, (states.get(r.state) ?? 0) + 1);
        const byState = [...states].map(([state, n]) => `${n} ${state}`).join(', ');
        throw new Error(`${rows.length}/${TASKS} tasks stored, ${unfinished.length} not finished${byState ? ` (${byState})` : ''}`);
      }
      return rows;
    }, { timeoutMs: 120_000, intervalMs: 500, what: 'every task to be assigned or declared unassignable' });
    stop = true;
    await responder;

    expect(finals).toHaveLength(TASKS);
    expect(overCapacity).toEqual([]);
    const assignedEvents = probe.events(TOPICS.offers, 'TaskAssigned', (d) => d.taskId.startsWith(skill));
    const offersPerReplica = new Map<string, Set<string>>();
    for (const e of assignedEvents) {
      const key = `${e.data.taskId}#${e.data.replica}`;
      offersPerReplica.set(key, (offersPerReplica.get(key) ?? new Set()).add(e.data.offerId));
    }
    expect([...offersPerReplica.values()].filter((s) => s.size > 1)).toEqual([]);
    const assigned = finals.filter((r) => r.state === 'assigned').length;
    expect(offersPerReplica.size).toBe(assigned);
    expect(assigned).toBeGreaterThan(TASKS * 0.8);
    const { rows: dup } = await db.query(`SELECT task_id, replica, count(*) FROM dispatcher.assignments GROUP BY 1, 2 HAVING count(*) > 1`);
    expect(dup).toEqual([]);
  }, 240_000);
});
