import { randomUUID } from 'node:crypto';
import type { TaskPosted, WorkerEvent, WorkerRegistered } from '@clearwork/contracts';

type Data<E extends { data: unknown }> = E['data'];

/** Wraps `data` in a contract envelope with a fresh eventId. */
export function envelope<T extends string, D>(type: T, data: D, occurredAt = new Date()) {
  return { eventId: randomUUID(), type, occurredAt: occurredAt.toISOString(), data };
}

/** A valid `TaskPosted` whose fields can be overridden. */
export function aTaskPosted(overrides: Partial<Data<TaskPosted>> = {}, occurredAt?: Date): TaskPosted {
  return envelope(
    'TaskPosted',
    {
      taskId: `task-${randomUUID()}`,
      queue: 'labelling',
      requiredSkills: ['image-labelling'],
      languages: [],
      requiredQualifications: [],
      priority: 5,
      payCents: 120,
      currency: 'EUR',
      estimatedSeconds: 90,
      replicas: 1,
      ...overrides,
    },
    occurredAt,
  );
}

/** A valid `WorkerRegistered` whose fields can be overridden. */
export function aWorkerRegistered(overrides: Partial<Data<WorkerRegistered>> = {}, occurredAt?: Date): WorkerRegistered {
  return envelope(
    'WorkerRegistered',
    {
      workerId: `worker-${randomUUID()}`,
      skills: ['image-labelling'],
      languages: ['en'],
      qualifications: [],
      capacity: 1,
      ...overrides,
    },
    occurredAt,
  );
}

/** A worker event of any type for `workerId`, e.g. `aWorkerEvent('WorkerWentOnline', { workerId })`. */
export function aWorkerEvent<T extends WorkerEvent['type']>(
  type: T,
  data: Extract<WorkerEvent, { type: T }>['data'],
  occurredAt?: Date,
): Extract<WorkerEvent, { type: T }> {
  return envelope(type, data, occurredAt) as unknown as Extract<WorkerEvent, { type: T }>;
}
