import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type WorkerEvent } from '@clearwork/contracts';
import { WorkerProfiles } from '../workers/worker-profiles.service';

/** `gig.worker-events.v1`: everything a worker does that may move a score. */
@Controller()
export class WorkerEventsConsumer {
  constructor(@Inject(WorkerProfiles) private readonly profiles: WorkerProfiles) {}

  @EventPattern(TOPICS.workerEvents)
  handle(@Payload() event: WorkerEvent): Promise<void> {
    return this.profiles.apply(event);
  }
}
