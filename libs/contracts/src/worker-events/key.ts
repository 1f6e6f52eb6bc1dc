import type { WorkerEvent } from './value';

/** Messages on `gig.worker-events.v1` are keyed by workerId so one worker's events stay in order. */
export const workerEventKey = (event: WorkerEvent): string => event.data.workerId;
