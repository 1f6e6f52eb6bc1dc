import { TOPICS } from '@clearwork/contracts';
import { aWorkerEvent, aWorkerRegistered } from '@clearwork/testing';
import type { Engine } from './engine';
import { eventually } from './eventually';
import type { KafkaProbe } from './kafka-probe';

/** Registers workers (online unless told otherwise) and waits until the dispatcher has them. */
export async function onlineWorkers(engine: Engine, probe: KafkaProbe, specs: { skills: string[]; capacity?: number; online?: boolean; languages?: string[] }[]): Promise<string[]> {
  const events = specs.flatMap((s) => {
    const reg = aWorkerRegistered({ skills: s.skills, capacity: s.capacity ?? 1, languages: s.languages ?? ['en'] });
    return s.online === false ? [reg] : [reg, aWorkerEvent('WorkerWentOnline', { workerId: reg.data.workerId })];
  });
  await sendWorkerEventsAndWait(engine, probe, events);
  return events.filter((e) => e.type === 'WorkerRegistered').map((e) => e.data.workerId);
}

/** Sends worker events and waits until every dispatcher instance together has consumed them. */
export async function sendWorkerEventsAndWait(engine: Engine, probe: KafkaProbe, events: { data: { workerId: string } }[]): Promise<void> {
  const before = await engine.consumed(TOPICS.workerEvents);
  await probe.send(TOPICS.workerEvents, events.map((e) => ({ key: e.data.workerId, value: e })));
  await eventually(async () => {
    const after = await engine.consumed(TOPICS.workerEvents);
    if (after - before < events.length) throw new Error(`dispatcher consumed ${after - before}/${events.length} worker events`);
  }, { what: 'the dispatcher to consume the worker events' });
}

/** Waits for events of `type` on `topic` matching `where`, at least `count` of them. */
export function waitForEvents(probe: KafkaProbe, topic: string, type: string, where: (d: any) => boolean, count = 1, timeoutMs = 20_000): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return eventually(() => {
    const found = probe.events(topic, type, where);
    if (found.length < count) throw new Error(`${found.length}/${count} ${type}`);
    return found;
  }, { what: `${count} ${type} on ${topic}`, timeoutMs });
}

export const offersTopic = TOPICS.offers;
