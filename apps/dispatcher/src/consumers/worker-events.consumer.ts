import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type WorkerEvent } from '@clearwork/contracts';
import { DeadLetterError } from '@clearwork/platform';
import { TaskLifecycle } from '../tasks/task-lifecycle.service';
import { WorkerRegistryUpdates } from '../workers/worker-events.service';

/** `gig.worker-events.v1`: registry changes and answers to offers. */
@Controller()
export class WorkerEventsConsumer {
  constructor(
    @Inject(WorkerRegistryUpdates) private readonly registry: WorkerRegistryUpdates,
    @Inject(TaskLifecycle) private readonly lifecycle: TaskLifecycle,
  ) {}

  @EventPattern(TOPICS.workerEvents)
  async handle(@Payload() event: WorkerEvent): Promise<void> {
    switch (event.type) {
      case 'OfferAccepted':
        return this.lifecycle.offerAccepted(event);
      case 'OfferDeclined': {
        const freed = await this.lifecycle.offerDeclined(event);
        if (freed) await this.lifecycle.redispatchWaitingFor(freed);
        return;
      }
      case 'TaskSubmitted':
      case 'TaskAbandoned': {
        const freed = await this.lifecycle.assignmentEnded(event);
        if (freed) await this.lifecycle.redispatchWaitingFor(freed);
        return;
      }
      case 'TaskReviewed':
        return; // scoring's concern
      default: {
        const { known, mayTakeWork } = await this.registry.apply(event);
        if (!known) throw new DeadLetterError(`worker ${event.data.workerId} is not registered; send WorkerRegistered first`);
        if (mayTakeWork) await this.lifecycle.redispatchWaitingFor(event.data.workerId);
      }
    }
  }
}
