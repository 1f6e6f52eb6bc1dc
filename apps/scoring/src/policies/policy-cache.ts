import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PolicyStore, type PublishedPolicy } from './policy-store';

/**
 * The current policy, held in memory. Refreshed when this or another instance publishes a
 * version (seen on `gig.policies.v1`), and re-read from the database whenever a newer
 * version is mentioned, so no instance scores under an old version for long.
 */
@Injectable()
export class PolicyCache implements OnModuleInit {
  private policy?: PublishedPolicy;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(PolicyStore) private readonly store: PolicyStore,
  ) {}

  /** Read at start-up, so a unit of work never reads it with a second connection while holding its own. */
  async onModuleInit(): Promise<void> {
    await this.current();
  }

  async current(): Promise<PublishedPolicy> {
    if (!this.policy) this.policy = await this.store.current(this.dataSource.manager);
    return this.policy;
  }

  /** Called when a version is published; re-reads if it is newer than the cached one. */
  async seen(version: number): Promise<void> {
    if (!this.policy || version > this.policy.version) this.policy = await this.store.current(this.dataSource.manager);
  }
}
