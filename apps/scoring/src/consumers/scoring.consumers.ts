import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type OfferEvent, type PolicyEvent, type TaskEvent, type WorkerEvent } from '@clearwork/contracts';
import { PolicyCache } from '../policies/policy-cache';
import { ScoreKeeper } from '../scores/score-keeper.service';

/** Everything scoring reads: worker activity, offers (times and expiries), task estimates, policies. */
@Controller()
export class ScoringConsumers {
  constructor(
    @Inject(ScoreKeeper) private readonly keeper: ScoreKeeper,
    @Inject(PolicyCache) private readonly policies: PolicyCache,
  ) {}

  @EventPattern(TOPICS.workerEvents)
  onWorkerEvent(@Payload() event: WorkerEvent): Promise<void> {
    return this.keeper.onWorkerEvent(event);
  }

  @EventPattern(TOPICS.offers)
  onOfferEvent(@Payload() event: OfferEvent): Promise<void> {
    return this.keeper.onOfferEvent(event);
  }

  @EventPattern(TOPICS.tasks)
  async onTaskEvent(@Payload() event: TaskEvent): Promise<void> {
    if (event.type === 'TaskPosted') await this.keeper.onTaskPosted(event.data.taskId, event.data.estimatedSeconds);
  }

  @EventPattern(TOPICS.policies)
  onPolicy(@Payload() event: PolicyEvent): Promise<void> {
    return this.policies.seen(event.data.version);
  }
}
