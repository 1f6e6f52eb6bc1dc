import type { TaskEvent } from './value';

/** Messages on `gig.tasks.v1` are keyed by taskId so one task's events stay in order. */
export const taskEventKey = (event: TaskEvent): string => event.data.taskId;
