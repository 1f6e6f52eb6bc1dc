import { Id } from '@clearwork/contracts';
import { openApiDocument, type HttpOperation } from '@clearwork/platform';
import { z } from 'zod';
import { PostTaskBody } from './tasks.controller';

/** The dispatcher's HTTP operations, with the schemas its controllers validate requests with. */
export const DISPATCHER_OPERATIONS: readonly HttpOperation[] = [
  {
    id: 'postTask',
    method: 'post',
    path: '/v1/tasks',
    summary: 'Post a task: validated as a TaskPosted on gig.tasks.v1, then dispatched like one.',
    description: 'Accepted once the broker has it. Send an eventId to make retries safe.',
    access: ['platform'],
    body: PostTaskBody,
    success: { status: 202, description: 'the task is published; the body links to its state' },
  },
  {
    id: 'getTask',
    method: 'get',
    path: '/v1/tasks/{taskId}',
    summary: 'A task\'s state and history: each replica, its offers and decisions.',
    access: ['platform', 'auditor'],
    params: z.object({ taskId: Id }),
    success: { status: 200, description: 'the task, its overall state and every replica\'s history' },
    errors: { 404: 'the task is unknown: it may not have been consumed yet, or it ended more than DISPATCHER_TASK_RETENTION_DAYS ago and was deleted (the audit log keeps its decisions)' },
  },
];

export const DISPATCHER_OPENAPI = openApiDocument({
  service: 'dispatcher',
  description: 'Tasks over HTTP, with the same validation as gig.tasks.v1, and every task\'s dispatch history.',
  operations: DISPATCHER_OPERATIONS,
});
