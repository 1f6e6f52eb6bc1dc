import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type WorkerEvent } from '@clearwork/contracts';
import { batchHandler, type BatchedEvent, type BatchRejection } from '@clearwork/platform';
import { WorkerEventIntake } from '../workers/worker-event-intake';

/** Events per handler call: a call is one unit of work, short enough that the consumer heartbeats between calls well inside its session. */
const EVENTS_PER_CALL = 500;

/** `gig.worker-events.v1`: registry changes and answers to offers, a fetched batch at a time. */
@Controller()
export class WorkerEventsConsumer {
  constructor(@Inject(WorkerEventIntake) private readonly intake: WorkerEventIntake) {}

  @EventPattern(TOPICS.workerEvents, batchHandler(EVENTS_PER_CALL))
  handle(@Payload() batch: readonly BatchedEvent<WorkerEvent>[]): Promise<BatchRejection[]> {
    return this.intake.workerEvents(batch);
  }
}
