import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { Id, TaskPostedData, TOPICS, Uuid, type TaskPosted } from '@clearwork/contracts';
import { EventPublisher, parseRequest, retentionText, Roles, SERVICE_CONFIG, timeOrderedId } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import type { DispatcherConfig } from '../config';
import { TaskStore, type ReplicaState } from '../tasks/task-store';

export const PostTaskBody = TaskPostedData.extend({ eventId: Uuid.optional() });

/** Tasks over HTTP: the same validation as `gig.tasks.v1`, and a task's whole history. */
@Controller('v1/tasks')
export class TasksController {
  constructor(
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(TaskStore) private readonly store: TaskStore,
    @Inject(SERVICE_CONFIG) private readonly config: DispatcherConfig,
  ) {}

  /** Accepted once the broker has it; dispatch happens as for any `TaskPosted`. Send an `eventId` to make retries safe. */
  @Post()
  @HttpCode(202)
  @Roles('platform')
  async post(@Body() body: unknown) {
    const { eventId = timeOrderedId(), ...data } = parseRequest(PostTaskBody, body, 'task');
    const event: TaskPosted = { eventId, type: 'TaskPosted', occurredAt: new Date().toISOString(), data };
    await this.publisher.publishEvent(TOPICS.tasks, data.taskId, event);
    return { taskId: data.taskId, eventId, status: 'accepted', links: { self: `/v1/tasks/${encodeURIComponent(data.taskId)}` } };
  }

  @Get(':taskId')
  @Roles('platform', 'auditor')
  async get(@Param('taskId') raw: string) {
    const taskId = parseRequest(Id, raw, 'taskId');
    const history = await this.store.history(this.dataSource.manager, taskId);
    if (!history) throw new NotFoundException(`task ${taskId} is unknown: it may not have been consumed yet${this.pruned(taskId)}`);
    return { taskId, state: overallState(history.replicas.map((r) => r.state)), postedAt: history.task.postedAt, spec: history.task.spec, ...omitTask(history) };
  }

  /** Where an ended task went, when ended tasks are deleted. */
  private pruned(taskId: string): string {
    const days = this.config.DISPATCHER_TASK_RETENTION_DAYS;
    if (days === 0) return '';
    return `, or it ended more than ${retentionText(days * 86_400_000)} ago and was deleted here (its decisions stay in the audit log: the audit service's GET /v1/decisions?taskId=${encodeURIComponent(taskId)})`;
  }
}

/** One word for the whole task: every replica's own state is listed beside it. */
function overallState(states: ReplicaState[]): string {
  if (states.every((s) => s === 'cancelled')) return 'cancelled';
  if (states.every((s) => s === 'assigned')) return 'assigned';
  if (states.some((s) => s === 'offered')) return 'offered';
  if (states.some((s) => s === 'waiting')) return 'waiting';
  if (states.some((s) => s === 'unassignable')) return 'unassignable';
  return 'assigned';
}

function omitTask<T extends { task: unknown }>(h: T): Omit<T, 'task'> {
  const { task: _task, ...rest } = h;
  return rest;
}
