import type { FilterReason, TaskPostedData } from '@clearwork/contracts';
import { ELIGIBILITY_FILTERS, type Candidate } from '@clearwork/matching-core';

/** One event of a worker's history, as the log holds it. */
export interface HistoryEvent {
  readonly type: string;
  readonly occurredAt: string;
  readonly data: Record<string, unknown>;
}

export interface ReconstructedCandidate {
  readonly registered: boolean;
  readonly rule: FilterReason | null;
  readonly candidate: Candidate | null;
}

const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : undefined);

/**
 * Rebuilds what the matcher knew about a worker at `at` from the worker's history (profile,
 * presence, suspension, assignments, answers to offers) and runs the same hard rules the
 * dispatcher runs, in the same order. Pure: the caller supplies the history up to `at`.
 */
export function reconstructCandidate(input: {
  workerId: string;
  task: TaskPostedData;
  at: string;
  history: readonly HistoryEvent[];
  heartbeatTtlSeconds: number;
  lastHeartbeat: string | null;
  scores: Record<string, number>;
}): ReconstructedCandidate {
  const at = Date.parse(input.at);
  let registered = false;
  let skills: string[] = [];
  let languages: string[] = [];
  let qualifications: string[] = [];
  let capacity = 1;
  let suspended = false;
  let online = false;
  let lastSeen = 0;
  let active = 0;
  let onTask = false;
  let declined = false;
  const history = [...input.history].filter((e) => Date.parse(e.occurredAt) <= at).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  for (const e of history) {
    const d = e.data;
    const time = Date.parse(e.occurredAt);
    const sameTask = d.taskId === input.task.taskId;
    switch (e.type) {
      case 'WorkerRegistered':
      case 'WorkerProfileUpdated':
        registered = true;
        skills = list(d.skills) ?? skills;
        languages = list(d.languages) ?? languages;
        qualifications = list(d.qualifications) ?? qualifications;
        capacity = typeof d.capacity === 'number' ? d.capacity : capacity;
        break;
      case 'WorkerWentOnline':
        online = true;
        lastSeen = Math.max(lastSeen, time);
        break;
      case 'WorkerWentOffline':
        online = false;
        break;
      case 'WorkerSuspended':
        suspended = true;
        break;
      case 'WorkerReinstated':
        suspended = false;
        break;
      case 'TaskAssigned':
        active++;
        if (sameTask) onTask = true;
        break;
      case 'TaskSubmitted':
      case 'TaskAbandoned':
        active = Math.max(0, active - 1);
        break;
      case 'OfferDeclined':
      case 'OfferExpired':
        if (sameTask) declined = true;
        break;
    }
  }
  if (!registered) return { registered, rule: null, candidate: null };
  if (input.lastHeartbeat) lastSeen = Math.max(lastSeen, Date.parse(input.lastHeartbeat));
  const present = online && at - lastSeen <= input.heartbeatTtlSeconds * 1000;
  const candidate: Candidate = {
    workerId: input.workerId,
    skills,
    languages,
    qualifications,
    online: present,
    suspended,
    capacity,
    activeTasks: active,
    scores: input.scores,
  };
  const context = {
    task: { ...input.task, excludedWorkerIds: input.task.excludedWorkerIds ?? [] },
    onTask: new Set(onTask ? [input.workerId] : []),
    declined: new Set(declined ? [input.workerId] : []),
  };
  const failed = ELIGIBILITY_FILTERS.find((f) => !f.passes(candidate, context));
  return { registered, rule: failed?.reason ?? null, candidate };
}
