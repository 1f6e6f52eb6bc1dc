import type { TaskPostedData } from '@clearwork/contracts';
import { reconstructCandidate, type HistoryEvent } from './reconstruction';

const task: TaskPostedData = {
  taskId: 't-1', queue: 'q', requiredSkills: ['label'], languages: ['en'], requiredQualifications: [], priority: 5,
  payCents: 100, currency: 'EUR', estimatedSeconds: 60, replicas: 1,
};
const at = '2026-11-22T10:00:00.000Z';
const ev = (type: string, minutesBefore: number, data: Record<string, unknown> = {}): HistoryEvent => ({
  type, occurredAt: new Date(Date.parse(at) - minutesBefore * 60_000).toISOString(), data: { workerId: 'w-1', ...data },
});
const registered = ev('WorkerRegistered', 60, { skills: ['label'], languages: ['en'], qualifications: [], capacity: 1 });
const online = ev('WorkerWentOnline', 1);
const rebuild = (history: HistoryEvent[], lastHeartbeat: string | null = null) =>
  reconstructCandidate({ workerId: 'w-1', task, at, history, heartbeatTtlSeconds: 90, lastHeartbeat, scores: { quality: 0.5 } });

describe('reconstructCandidate', () => {
  it('given a registered worker online within the presence window, then no rule fails', () => {
    expect(rebuild([registered, online])).toMatchObject({ registered: true, rule: null, candidate: { online: true, activeTasks: 0 } });
  });

  it('names the first rule failed, in the dispatcher\'s order', () => {
    expect(rebuild([registered]).rule).toBe('offline');
    expect(rebuild([registered, ev('WorkerWentOnline', 5)]).rule).toBe('offline');
    expect(rebuild([registered, ev('WorkerWentOnline', 5)], new Date(Date.parse(at) - 30_000).toISOString()).rule).toBeNull();
    expect(rebuild([registered, online, ev('WorkerSuspended', 2, { reason: 'x' })]).rule).toBe('suspended');
    expect(rebuild([registered, online, ev('WorkerSuspended', 3, { reason: 'x' }), ev('WorkerReinstated', 2)]).rule).toBeNull();
    expect(rebuild([registered, online, ev('WorkerProfileUpdated', 2, { skills: ['other'] })]).rule).toBe('skill_missing');
    expect(rebuild([registered, online, ev('TaskAssigned', 10, { taskId: 't-0' })]).rule).toBe('at_capacity');
    expect(rebuild([registered, online, ev('TaskAssigned', 10, { taskId: 't-0' }), ev('TaskSubmitted', 5, { taskId: 't-0' })]).rule).toBeNull();
    expect(rebuild([registered, online, ev('OfferDeclined', 3, { taskId: 't-1' })]).rule).toBe('declined_before');
  });

  it('ignores what happened after the decision, and says when the worker was not registered yet', () => {
    expect(rebuild([registered, online, ev('WorkerSuspended', -1, { reason: 'later' })]).rule).toBeNull();
    expect(rebuild([ev('WorkerRegistered', -5, { skills: ['label'], capacity: 1 })])).toMatchObject({ registered: false, candidate: null });
  });
});
