import { Inject, Injectable } from '@nestjs/common';
import type { Checkpoint } from '@clearwork/audit-core';
import { sqlRows } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import type { LogEntryInput } from './log-entry';

/** One committed entry as stored: what was appended, with its position and hashes. */
export type StoredEntry = LogEntryInput & {
  readonly seq: number;
  readonly leafHash: Buffer;
  readonly chainHash: Buffer;
};

interface EntryRow {
  seq: string;
  entry_id: string;
  source: string;
  type: string;
  task_id: string | null;
  worker_id: string | null;
  decision_id: string | null;
  occurred_at: Date;
  body: string;
  leaf_hash: Buffer;
  chain_hash: Buffer;
}
interface CheckpointRow {
  tree_size: string;
  root_hash: Buffer;
  origin: string;
  signed_at: string;
  key_id: string;
  signature: string;
}

const COLUMNS = 'seq, entry_id, source, type, task_id, worker_id, decision_id, occurred_at, body, leaf_hash, chain_hash';

/** Reads the log and its checkpoints; entity rows never leave this class. */
@Injectable()
export class LogReader {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async entry(seq: number): Promise<StoredEntry | null> {
    const [row] = await sqlRows<EntryRow>(this.dataSource.manager, `SELECT ${COLUMNS} FROM audit.entries WHERE seq = $1`, [seq]);
    return row ? toEntry(row) : null;
  }

  async entryById(entryId: string): Promise<StoredEntry | null> {
    const [row] = await sqlRows<EntryRow>(this.dataSource.manager, `SELECT ${COLUMNS} FROM audit.entries WHERE entry_id = $1`, [entryId]);
    return row ? toEntry(row) : null;
  }

  /** Entries matching every given column, in log order. */
  async find(
    where: { taskId?: string; workerId?: string; decisionId?: string; types?: readonly string[]; from?: string; to?: string; sources?: readonly string[] },
    limit = 10_000,
    order: 'oldest' | 'newest' = 'oldest',
  ): Promise<StoredEntry[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      clauses.push(sql.replace('?', `$${params.length}`));
    };
    if (where.taskId !== undefined) add('task_id = ?', where.taskId);
    if (where.workerId !== undefined) add('worker_id = ?', where.workerId);
    if (where.decisionId !== undefined) add('decision_id = ?', where.decisionId);
    if (where.types !== undefined) add('type = ANY(?::text[])', where.types);
    if (where.sources !== undefined) add('source = ANY(?::text[])', where.sources);
    if (where.from !== undefined) add('occurred_at >= ?', where.from);
    if (where.to !== undefined) add('occurred_at < ?', where.to);
    params.push(limit);
    const rows = await sqlRows<EntryRow>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM audit.entries ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY seq ${order === 'newest' ? 'DESC' : ''} LIMIT $${params.length}`,
      params,
    );
    const entries = rows.map(toEntry);
    return order === 'newest' ? entries.reverse() : entries;
  }

  /** Every entry from `seq` on, a page at a time, for verification and export. */
  async *pages(pageSize = 20_000): AsyncGenerator<StoredEntry[]> {
    let next = 0;
    for (;;) {
      const rows = await sqlRows<EntryRow>(this.dataSource.manager, `SELECT ${COLUMNS} FROM audit.entries WHERE seq >= $1 ORDER BY seq LIMIT $2`, [next, pageSize]);
      if (rows.length === 0) return;
      yield rows.map(toEntry);
      next = Number(rows[rows.length - 1].seq) + 1;
      if (rows.length < pageSize) return;
    }
  }

  async latestCheckpoint(): Promise<Checkpoint | null> {
    const [row] = await sqlRows<CheckpointRow>(this.dataSource.manager, `SELECT * FROM audit.checkpoints ORDER BY tree_size DESC LIMIT 1`);
    return row ? toCheckpoint(row) : null;
  }

  /** The signed checkpoint of exactly `treeSize`, if one was signed. */
  async checkpointOf(treeSize: number): Promise<Checkpoint | null> {
    const [row] = await sqlRows<CheckpointRow>(this.dataSource.manager, `SELECT * FROM audit.checkpoints WHERE tree_size = $1`, [treeSize]);
    return row ? toCheckpoint(row) : null;
  }

  async checkpoints(): Promise<Checkpoint[]> {
    const rows = await sqlRows<CheckpointRow>(this.dataSource.manager, `SELECT * FROM audit.checkpoints ORDER BY tree_size`);
    return rows.map(toCheckpoint);
  }
}

function toEntry(r: EntryRow): StoredEntry {
  return {
    seq: Number(r.seq),
    entryId: r.entry_id,
    source: r.source,
    type: r.type,
    taskId: r.task_id,
    workerId: r.worker_id,
    decisionId: r.decision_id,
    occurredAt: r.occurred_at.toISOString(),
    body: r.body,
    leafHash: r.leaf_hash,
    chainHash: r.chain_hash,
  };
}

function toCheckpoint(r: CheckpointRow): Checkpoint {
  return {
    origin: r.origin,
    treeSize: Number(r.tree_size),
    rootHash: r.root_hash.toString('hex'),
    timestamp: r.signed_at,
    keyId: r.key_id,
    signature: r.signature,
  };
}
