import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { PolicyPublished } from '@clearwork/contracts';
import { sqlRows } from '@clearwork/platform';
import { DEFAULT_POLICY, policyHash, PolicyDocumentSchema, type PolicyDocument } from '@clearwork/scoring-core';
import { DataSource } from 'typeorm';

export interface ActivePolicy {
  readonly version: number;
  readonly contentHash: string;
  readonly document: PolicyDocument;
}

/**
 * The policy decisions are made under: the newest version seen on `gig.policies.v1`, kept in
 * the dispatcher's own table so a restart resumes with it. Until the first is seen, the
 * default v1 (the same document scoring's first migration publishes).
 */
@Injectable()
export class DispatchPolicy implements OnModuleInit {
  private active: ActivePolicy = { version: DEFAULT_POLICY.version, contentHash: policyHash(DEFAULT_POLICY), document: DEFAULT_POLICY };
  private loaded = false;
  private readonly log = new Logger(DispatchPolicy.name);

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Read at start-up, so a unit of work never reads it with a second connection while holding its own. */
  async onModuleInit(): Promise<void> {
    await this.current();
  }

  async current(): Promise<ActivePolicy> {
    if (!this.loaded) {
      const rows = await sqlRows<{ version: number; content_hash: string; document: unknown }>(
        this.dataSource.manager,
        `SELECT version, content_hash, document FROM dispatcher.policies ORDER BY version DESC LIMIT 1`,
      );
      if (rows[0] && rows[0].version > this.active.version) {
        this.active = { version: rows[0].version, contentHash: rows[0].content_hash, document: PolicyDocumentSchema.parse(rows[0].document) };
      }
      this.loaded = true;
    }
    return this.active;
  }

  /** Stores a published version; refuses one whose document does not match its hash. */
  async published(event: PolicyPublished): Promise<{ ok: true } | { ok: false; reason: string }> {
    const parsed = PolicyDocumentSchema.safeParse(event.data.document);
    if (!parsed.success) return { ok: false, reason: `policy v${event.data.version} document is invalid: ${parsed.error.message}` };
    if (policyHash(parsed.data) !== event.data.contentHash) return { ok: false, reason: `policy v${event.data.version} does not match its content hash` };
    await sqlRows(this.dataSource.manager, `INSERT INTO dispatcher.policies (version, content_hash, document) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
      event.data.version, event.data.contentHash, JSON.stringify(parsed.data),
    ]);
    await this.current();
    if (event.data.version > this.active.version) {
      this.active = { version: event.data.version, contentHash: event.data.contentHash, document: parsed.data };
      this.log.log(`dispatching under policy v${event.data.version}`);
    }
    return { ok: true };
  }
}
