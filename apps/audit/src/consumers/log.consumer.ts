import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '@clearwork/contracts';
import { BATCH_HANDLER, type BatchedEvent } from '@clearwork/platform';
import { LogRecorder } from '../log/log-recorder';

type Batch = readonly BatchedEvent<{ eventId: string; type: string; occurredAt: string; data: unknown }>[];

/**
 * Everything the log records, a fetched batch at a time: decisions and offers (what happened),
 * policies and scores (the criteria and inputs they were made under), tasks and worker events
 * (the facts a worker outside the recorded candidates is answered from).
 */
@Controller()
export class LogConsumer {
  constructor(@Inject(LogRecorder) private readonly recorder: LogRecorder) {}

  @EventPattern(TOPICS.decisions, BATCH_HANDLER)
  onDecisions(@Payload() batch: Batch): Promise<void> {
    return this.record(TOPICS.decisions, batch);
  }

  @EventPattern(TOPICS.offers, BATCH_HANDLER)
  onOffers(@Payload() batch: Batch): Promise<void> {
    return this.record(TOPICS.offers, batch);
  }

  @EventPattern(TOPICS.policies, BATCH_HANDLER)
  onPolicies(@Payload() batch: Batch): Promise<void> {
    return this.record(TOPICS.policies, batch);
  }

  @EventPattern(TOPICS.workerScores, BATCH_HANDLER)
  onScores(@Payload() batch: Batch): Promise<void> {
    return this.record(TOPICS.workerScores, batch);
  }

  @EventPattern(TOPICS.workerEvents, BATCH_HANDLER)
  onWorkerEvents(@Payload() batch: Batch): Promise<void> {
    return this.record(TOPICS.workerEvents, batch);
  }

  @EventPattern(TOPICS.tasks, BATCH_HANDLER)
  onTasks(@Payload() batch: Batch): Promise<void> {
    return this.record(TOPICS.tasks, batch);
  }

  private record(topic: string, batch: Batch): Promise<void> {
    return this.recorder.record(topic, batch.map((b) => b.event));
  }
}
