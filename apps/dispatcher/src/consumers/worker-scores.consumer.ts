import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type WorkerScoreEvent } from '@clearwork/contracts';
import { BATCH_HANDLER, type BatchedEvent } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import { WorkerRegistry } from '../workers/worker-registry';

/** `gig.worker-scores.v1`: the latest score per worker, used for ranking; a fetched batch in one statement. */
@Controller()
export class WorkerScoresConsumer {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(WorkerRegistry) private readonly registry: WorkerRegistry,
  ) {}

  @EventPattern(TOPICS.workerScores, BATCH_HANDLER)
  async handle(@Payload() batch: readonly BatchedEvent<WorkerScoreEvent>[]): Promise<void> {
    const updates = batch.map(({ event }) => {
      const { workerId, components, composite, policyVersion, scoredAt } = event.data;
      const scores = {
        quality: components.quality.value, latency: components.latency.value, availability: components.availability.value, composite,
        qualityEvidence: components.quality.evidence,
      };
      return { workerId, scores, policyVersion, scoredAt };
    });
    // Scores are a latest-value table kept in scoring's time order: applying one twice, or an
    // older one after a newer, has no further effect, so no dedupe is needed.
    await this.registry.setScoresMany(this.dataSource.manager, updates);
  }
}
