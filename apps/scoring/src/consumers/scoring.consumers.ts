import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type OfferEvent, type PolicyEvent, type TaskEvent, type WorkerEvent } from '@clearwork/contracts';
import { BATCH_HANDLER, batchHandler, type BatchedEvent, type BatchRejection } from '@clearwork/platform';
import { PolicyCache } from '../policies/policy-cache';
import { ScoreKeeper } from '../scores/score-keeper.service';

/** Events per handler call: a call is one unit of work, short enough that the consumer heartbeats between calls well inside its session. */
const EVENTS_PER_CALL = 200;

/**
 * Everything scoring reads: worker activity, offers (times and expiries), task estimates,
 * policies. The busy topics are read a fetched batch at a time, applied in one transaction.
 */
@Controller()
export class ScoringConsumers {
  constructor(
    @Inject(ScoreKeeper) private readonly keeper: ScoreKeeper,
    @Inject(PolicyCache) private readonly policies: PolicyCache,
  ) {}

  @EventPattern(TOPICS.workerEvents, batchHandler(EVENTS_PER_CALL))
  onWorkerEvents(@Payload() batch: readonly BatchedEvent<WorkerEvent>[]): Promise<BatchRejection[]> {
    return this.keeper.onBatch(batch, (m, events, now) => this.keeper.workerEventsIn(m, events, now));
  }

  @EventPattern(TOPICS.offers, batchHandler(EVENTS_PER_CALL))
  onOfferEvents(@Payload() batch: readonly BatchedEvent<OfferEvent>[]): Promise<BatchRejection[]> {
    return this.keeper.onBatch(batch, (m, events, now) => this.keeper.offerEventsIn(m, events, now));
  }

  @EventPattern(TOPICS.tasks, BATCH_HANDLER)
  async onTaskEvents(@Payload() batch: readonly BatchedEvent<TaskEvent>[]): Promise<void> {
    const posted = batch.flatMap(({ event }) => (event.type === 'TaskPosted' ? [{ taskId: event.data.taskId, estimatedSeconds: event.data.estimatedSeconds }] : []));
    if (posted.length > 0) await this.keeper.onTaskPosted(posted);
  }

  @EventPattern(TOPICS.policies)
  onPolicy(@Payload() event: PolicyEvent): Promise<void> {
    return this.policies.seen(event.data.version);
  }
}
