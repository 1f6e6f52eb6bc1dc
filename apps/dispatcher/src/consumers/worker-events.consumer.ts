import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type WorkerEvent } from '@clearwork/contracts';
import { BATCH_HANDLER, type BatchedEvent, type BatchRejection } from '@clearwork/platform';
import { WorkerEventIntake } from '../workers/worker-event-intake';

/** `gig.worker-events.v1`: registry changes and answers to offers, a fetched batch at a time. */
@Controller()
export class WorkerEventsConsumer {
  constructor(@Inject(WorkerEventIntake) private readonly intake: WorkerEventIntake) {}

  @EventPattern(TOPICS.workerEvents, BATCH_HANDLER)
  handle(@Payload() batch: readonly BatchedEvent<WorkerEvent>[]): Promise<BatchRejection[]> {
    return this.intake.workerEvents(batch);
  }
}
