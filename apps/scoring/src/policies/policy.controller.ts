import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { CurrentPrincipal, parseRequest, Public, Roles, type Principal } from '@clearwork/platform';
import { describePolicy, diffPolicies } from '@clearwork/scoring-core';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { PolicyPublisher } from './policy-publisher.service';
import { PolicyStore, type PublishedPolicy } from './policy-store';

export const Version = z.coerce.number().int().min(1).max(1_000_000);

/** The scoring criteria are public: anyone may read every version and what changed. */
@Controller('v1/policies')
export class PolicyController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(PolicyStore) private readonly store: PolicyStore,
    @Inject(PolicyPublisher) private readonly publisher: PolicyPublisher,
  ) {}

  @Public()
  @Get('current')
  async current() {
    return withDisclosure(await this.store.current(this.dataSource.manager));
  }

  @Public()
  @Get()
  async list() {
    return { policies: await this.store.list(this.dataSource.manager) };
  }

  @Public()
  @Get(':version')
  async get(@Param('version') version: string) {
    return withDisclosure(await this.find(version, 'version'));
  }

  @Public()
  @Get(':a/diff/:b')
  async diff(@Param('a') a: string, @Param('b') b: string) {
    const [from, to] = [await this.find(a, 'a'), await this.find(b, 'b')];
    return { from: from.version, to: to.version, rationale: to.rationale, changes: diffPolicies(from.document, to.document) };
  }

  @Post()
  @HttpCode(201)
  @Roles('platform')
  async publish(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    return withDisclosure(await this.publisher.publish(body, principal.sub));
  }

  private async find(raw: string, field: string): Promise<PublishedPolicy> {
    const version = parseRequest(Version, raw, field);
    const policy = await this.store.get(this.dataSource.manager, version);
    if (!policy) throw new NotFoundException(`policy version ${version} does not exist`);
    return policy;
  }
}

function withDisclosure(p: PublishedPolicy) {
  return { ...p, disclosure: describePolicy(p.document) };
}
