import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type TaskEvent } from '@clearwork/contracts';
import { TaskLifecycle } from '../tasks/task-lifecycle.service';

/** `gig.tasks.v1`: tasks posted and cancelled by the platform. */
@Controller()
export class TaskEventsConsumer {
  constructor(@Inject(TaskLifecycle) private readonly lifecycle: TaskLifecycle) {}

  @EventPattern(TOPICS.tasks)
  async handle(@Payload() event: TaskEvent): Promise<void> {
    switch (event.type) {
      case 'TaskPosted':
        return this.lifecycle.taskPosted(event);
      case 'TaskCancelled':
        return this.lifecycle.taskCancelled(event);
    }
  }
}
