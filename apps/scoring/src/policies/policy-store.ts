import { sqlRows } from '@clearwork/platform';
import { PolicyDocumentSchema, type PolicyDocument } from '@clearwork/scoring-core';
import type { EntityManager } from 'typeorm';

/** A published policy version with who published it and why. */
export interface PublishedPolicy {
  readonly version: number;
  readonly contentHash: string;
  readonly rationale: string;
  readonly publishedBy: string;
  readonly publishedAt: string;
  readonly document: PolicyDocument;
}

interface Row {
  version: number;
  document: unknown;
  content_hash: string;
  rationale: string;
  published_by: string;
  published_at: Date;
}

const toPolicy = (r: Row): PublishedPolicy => ({
  version: r.version,
  contentHash: r.content_hash,
  rationale: r.rationale,
  publishedBy: r.published_by,
  publishedAt: r.published_at.toISOString(),
  document: PolicyDocumentSchema.parse(r.document),
});

/** Policy versions in PostgreSQL; a version is never changed once written. */
export class PolicyStore {
  async current(m: EntityManager, lock = false): Promise<PublishedPolicy> {
    const rows = await sqlRows<Row>(m, `SELECT * FROM scoring.policies ORDER BY version DESC LIMIT 1${lock ? ' FOR UPDATE' : ''}`);
    return toPolicy(rows[0]);
  }

  async get(m: EntityManager, version: number): Promise<PublishedPolicy | undefined> {
    const rows = await sqlRows<Row>(m, `SELECT * FROM scoring.policies WHERE version = $1`, [version]);
    return rows[0] && toPolicy(rows[0]);
  }

  async list(m: EntityManager): Promise<Omit<PublishedPolicy, 'document'>[]> {
    const rows = await sqlRows<Row>(m, `SELECT * FROM scoring.policies ORDER BY version`);
    return rows.map((r) => {
      const { document: _d, ...rest } = toPolicy(r);
      return rest;
    });
  }

  async insert(m: EntityManager, p: Omit<PublishedPolicy, 'publishedAt'>): Promise<void> {
    await sqlRows(m, `INSERT INTO scoring.policies (version, document, content_hash, rationale, published_by) VALUES ($1, $2, $3, $4, $5)`, [
      p.version,
      JSON.stringify(p.document),
      p.contentHash,
      p.rationale,
      p.publishedBy,
    ]);
  }
}
