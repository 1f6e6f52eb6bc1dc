import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { TOPICS, type PolicyPublished } from '@clearwork/contracts';
import { enqueue, OutboxRelay, parseRequest, SERVICE_CONFIG, timeOrderedId } from '@clearwork/platform';
import { nextPolicy, PolicyChangeRequest, PolicyDocumentSchema, policyHash } from '@clearwork/scoring-core';
import { DataSource } from 'typeorm';
import { SCHEMA, type ScoringConfig } from '../config';
import { ScoreKeeper } from '../scores/score-keeper.service';
import { ScoreStore } from '../scores/score-store';
import { PolicyCache } from './policy-cache';
import { PolicyStore, type PublishedPolicy } from './policy-store';

/**
 * Publishes the next policy version and then recomputes every worker's score under it while
 * events keep being processed: a batch of workers (SCORING_RECOMPUTE_BATCH) is locked only while
 * it is redone, in one transaction, and an event for a worker not yet redone upgrades that worker
 * first. With 20,000 workers heartbeating, the change reached all of them in 11 s in batches of
 * 100, against 40 s with one transaction a worker (bench/policy-recompute.ts, BENCHMARKS.md).
 */
@Injectable()
export class PolicyPublisher implements OnApplicationShutdown {
  private readonly log = new Logger(PolicyPublisher.name);
  private recomputing?: Promise<void>;
  private stopping = false;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(PolicyStore) private readonly store: PolicyStore,
    @Inject(PolicyCache) private readonly cache: PolicyCache,
    @Inject(ScoreKeeper) private readonly keeper: ScoreKeeper,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(ScoreStore) private readonly scores: ScoreStore,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
  ) {}

  async publish(body: unknown, publishedBy: string, now = new Date()): Promise<PublishedPolicy> {
    const request = parseRequest(PolicyChangeRequest, body, 'policy change');
    const { policy: published, enqueued } = await this.dataSource.transaction(async (m) => {
      const current = await this.store.current(m, true);
      const document = parseRequest(PolicyDocumentSchema, nextPolicy(current.document, request.changes), 'policy');
      const contentHash = policyHash(document);
      const policy = { version: document.version, contentHash, rationale: request.rationale, publishedBy, document };
      await this.store.insert(m, policy);
      const event: PolicyPublished = {
        eventId: timeOrderedId(),
        type: 'PolicyPublished',
        occurredAt: now.toISOString(),
        data: { version: document.version, contentHash, publishedAt: now.toISOString(), rationale: request.rationale, document: { ...document } },
      };
      const enqueued = await enqueue(m, SCHEMA, [{ topic: TOPICS.policies, key: String(document.version), value: event }]);
      return { policy: { ...policy, publishedAt: now.toISOString() }, enqueued };
    });
    this.relay.committed(enqueued);
    await this.cache.seen(published.version);
    this.recomputeAll(published);
    return published;
  }

  /** Resolves when the latest recomputation has finished (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.recomputing) await this.recomputing;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }

  private recomputeAll(policy: PublishedPolicy): void {
    const previous = this.recomputing ?? Promise.resolve();
    const run = previous.then(() => this.recompute(policy)).catch((error: Error) => {
      this.log.error(`recomputing under policy v${policy.version} stopped: ${error.message}; workers not yet redone are upgraded on their next event`);
    });
    this.recomputing = run.finally(() => {
      if (this.recomputing === run) this.recomputing = undefined;
    });
  }

  private async recompute(policy: PublishedPolicy): Promise<void> {
    const total = await this.scores.countBelow(this.dataSource.manager, policy.version);
    this.log.log(`recomputing ${total} workers under policy v${policy.version}`);
    let done = 0;
    let after = '';
    const started = Date.now();
    for (;;) {
      if (this.stopping) return;
      const ids = await this.scores.workerIdsAfter(this.dataSource.manager, after, 200, policy.version);
      if (ids.length === 0) break;
      const batch = this.config.SCORING_RECOMPUTE_BATCH;
      for (let i = 0; i < ids.length; i += batch) {
        const some = ids.slice(i, i + batch);
        await this.keeper.rescore((m) => this.keeper.recomputeMany(m, some, policy, new Date()));
        done += some.length;
      }
      after = ids[ids.length - 1];
      this.log.log(`policy v${policy.version}: ${done}/${total} workers recomputed (${Math.round((Date.now() - started) / 100) / 10}s)`);
    }
    this.log.log(`policy v${policy.version}: all ${done} workers recomputed in ${Date.now() - started} ms`);
  }
}
