import { Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import { Id } from '@clearwork/contracts';
import { assertMayRead, CurrentPrincipal, parseRequest, Roles, type Principal } from '@clearwork/platform';
import { COMPONENTS, isOnline, scoreOf } from '@clearwork/scoring-core';
import { DataSource } from 'typeorm';
import { PolicyCache } from '../policies/policy-cache';
import { ScoreStore } from './score-store';

/** "What is my score made of, and what moved it?" */
@Controller('v1/workers/:workerId/score')
export class ScoreController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ScoreStore) private readonly store: ScoreStore,
    @Inject(PolicyCache) private readonly policies: PolicyCache,
  ) {}

  @Get()
  @Roles('worker', 'platform', 'auditor', 'reviewer')
  async get(@Param('workerId') raw: string, @CurrentPrincipal() principal: Principal) {
    const workerId = parseRequest(Id, raw, 'workerId');
    assertMayRead(principal, workerId);
    const m = this.dataSource.manager;
    const record = await this.store.find(m, workerId);
    if (!record) throw new NotFoundException(`worker ${workerId} is not registered`);
    const policy = await this.policies.current();
    const now = Date.now();
    // Scores are read as of now, so decay and lapsed presence show without waiting for an event.
    const scores = record.policyVersion === policy.version ? scoreOf(policy.document, record.state, now) : record.scores;
    const recentEvents = Object.fromEntries(
      await Promise.all(COMPONENTS.map(async (c) => [c, await this.store.movers(m, workerId, c, 10)] as const)),
    );
    return {
      workerId,
      policy: { version: record.policyVersion, contentHash: record.policyVersion === policy.version ? policy.contentHash : undefined, weights: policy.document.weights },
      online: isOnline(policy.document, record.state, now),
      lastSeenAt: record.lastSeenAt,
      composite: scores.composite,
      components: Object.fromEntries(
        COMPONENTS.map((c) => [c, { ...scores.components[c], confidence: Math.round((1 - 2 * scores.components[c].uncertainty) * 1e6) / 1e6 }]),
      ),
      recentEvents,
      scoredAt: new Date(now).toISOString(),
    };
  }
}
