import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type TaskEvent } from '@clearwork/contracts';
import { batchHandler, type BatchedEvent, type BatchRejection } from '@clearwork/platform';
import { TaskLifecycle } from '../tasks/task-lifecycle.service';

/** Events per handler call: a call is one unit of work, short enough that the consumer heartbeats between calls well inside its session. */
const EVENTS_PER_CALL = 200;

/**
 * `gig.tasks.v1`: tasks posted and cancelled by the platform, a fetched batch at a time, so tasks
 * posted together are stored and dispatched in one transaction.
 */
@Controller()
export class TaskEventsConsumer {
  constructor(@Inject(TaskLifecycle) private readonly lifecycle: TaskLifecycle) {}

  @EventPattern(TOPICS.tasks, batchHandler(EVENTS_PER_CALL))
  handle(@Payload() batch: readonly BatchedEvent<TaskEvent>[]): Promise<BatchRejection[]> {
    return this.lifecycle.taskEvents(batch);
  }
}
