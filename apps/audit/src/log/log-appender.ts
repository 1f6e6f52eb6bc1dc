import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { chainHash, type Checkpoint } from '@clearwork/audit-core';
import { copyRows, isUniqueViolation, SERVICE_CONFIG, sqlRows } from '@clearwork/platform';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditConfig } from '../config';
import { AuditMetrics } from '../audit-metrics';
import { CheckpointSigner } from './checkpoint-signer';
import type { LogEntryInput } from './log-entry';
import { LogTree } from './log-tree';

/** Extra work done in the same transaction as an append, given the seq of each entry by id. */
export type InTransaction = (m: EntityManager, appended: ReadonlyMap<string, number>) => Promise<void>;

interface Job {
  readonly entries: readonly LogEntryInput[];
  readonly extra?: InTransaction;
  /** Written in a transaction of its own, so that its `extra` may refuse (throw) without failing anyone else's entries. */
  readonly alone?: boolean;
  readonly resolve: (appended: ReadonlyMap<string, number>) => void;
  readonly reject: (error: Error) => void;
}

/** One lock for every writer of the log, so entries get consecutive sequence numbers across instances. */
const LOG_LOCK = 0x6c6f67; // "log"
const MAX_ENTRIES_PER_WRITE = 10_000;

/**
 * Appends entries to the hash-chained Merkle log. Callers' entries are queued and written
 * together in one transaction (group commit): one lock, one duplicate check, one INSERT for the
 * lot. A caller's promise resolves only once its entries are committed. Appends are idempotent
 * by entry id. A checkpoint is signed in the same transaction when the last one is older than
 * the configured interval, and on a timer while entries are waiting for one.
 */
@Injectable()
export class LogAppender implements OnModuleInit, OnApplicationShutdown {
  private readonly queue: Job[] = [];
  private flushing?: Promise<void>;
  private lastCheckpoint: { treeSize: number; at: number } = { treeSize: -1, at: 0 };
  private timer?: NodeJS.Timeout;
  private forceCheckpoint = false;
  private readonly intervalMs: number;
  private readonly log = new Logger(LogAppender.name);

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LogTree) private readonly tree: LogTree,
    @Inject(CheckpointSigner) private readonly signer: CheckpointSigner,
    @Inject(AuditMetrics) private readonly metrics: AuditMetrics,
    @Inject(SERVICE_CONFIG) config: AuditConfig,
  ) {
    this.intervalMs = config.AUDIT_CHECKPOINT_INTERVAL_MS;
  }

  async onModuleInit(): Promise<void> {
    await this.tree.refresh();
    const [latest] = await sqlRows<{ tree_size: string }>(this.dataSource.manager, `SELECT tree_size FROM audit.checkpoints ORDER BY tree_size DESC LIMIT 1`);
    this.lastCheckpoint = { treeSize: latest ? Number(latest.tree_size) : -1, at: 0 };
    this.metrics.logSize.set(this.tree.size);
    this.timer = setInterval(() => {
      if (this.tree.size > this.lastCheckpoint.treeSize && this.queue.length === 0) void this.append([]).catch(() => undefined);
    }, this.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    while (this.flushing) await this.flushing;
  }

  /** Appends `entries` (those already in the log are skipped); resolves with the seq of each once committed. */
  append(entries: readonly LogEntryInput[], extra?: InTransaction, options: { alone?: boolean } = {}): Promise<ReadonlyMap<string, number>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entries, extra, alone: options.alone, resolve, reject });
      this.flush();
    });
  }

  /**
   * Starts draining the queue unless a drain is under way. A job queued by a caller resumed from
   * the last commit lands after that drain's final look at the queue, so the drain's end looks again.
   */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.flush();
    });
  }

  /** Signs a checkpoint covering everything committed so far, unless one already does. */
  async checkpointNow(): Promise<void> {
    this.forceCheckpoint = true;
    await this.append([]);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const jobs: Job[] = [];
      let count = 0;
      while (this.queue.length > 0 && (jobs.length === 0 || (!jobs[0].alone && !this.queue[0].alone && count + this.queue[0].entries.length <= MAX_ENTRIES_PER_WRITE))) {
        const job = this.queue.shift()!;
        jobs.push(job);
        count += job.entries.length;
      }
      const started = process.hrtime.bigint();
      const sizeBefore = this.tree.size;
      try {
        const appended = await this.write(jobs);
        for (const job of jobs) job.resolve(appended);
        if (count > 0) {
          this.metrics.appendSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
          this.metrics.appendBatch.observe(count);
        }
      } catch (error) {
        // Leaves added for a transaction that did not commit must go: rebuild from what is committed.
        if (this.tree.size !== sizeBefore) await this.tree.exclusive(async () => this.tree.discard());
        this.lastCheckpoint = { treeSize: -1, at: 0 };
        if (jobs.length === 1 && jobs[0].alone) {
          jobs[0].reject(error as Error);
          continue;
        }
        this.log.warn(`append of ${count} entries failed (${(error as Error).message}); callers will retry`);
        for (const job of jobs) job.reject(error as Error);
      }
    }
  }

  private async write(jobs: readonly Job[]): Promise<Map<string, number>> {
    const appended = new Map<string, number>();
    await this.dataSource.transaction(async (m) => {
      await sqlRows(m, `SELECT pg_advisory_xact_lock($1)`, [LOG_LOCK]);
      await this.tree.exclusive(() => this.writeLocked(m, jobs, appended));
    });
    this.metrics.logSize.set(this.tree.size);
    return appended;
  }

  private async writeLocked(m: EntityManager, jobs: readonly Job[], appended: Map<string, number>): Promise<void> {
    await this.tree.catchUp(m);
    const unique = new Map<string, LogEntryInput>();
    for (const job of jobs) for (const e of job.entries) if (!unique.has(e.entryId)) unique.set(e.entryId, e);
    if (jobs.length === 1 && jobs[0].alone) {
      // A job written alone may refuse in its `extra`; it runs first, before any leaf is added.
      await this.dropLogged(m, unique, appended);
      await jobs[0].extra?.(m, appended);
      if (unique.size > 0) await this.insert(m, [...unique.values()], appended);
    } else {
      await this.insertNew(m, unique, appended);
      for (const job of jobs) await job.extra?.(m, appended);
    }
    const now = Date.now();
    const due = this.forceCheckpoint || now - this.lastCheckpoint.at >= this.intervalMs;
    if (this.tree.size > this.lastCheckpoint.treeSize && due) {
      this.forceCheckpoint = false;
      await this.storeCheckpoint(m, this.signer.sign(this.tree.size, this.tree.merkle.root(), new Date(now)));
      this.lastCheckpoint = { treeSize: this.tree.size, at: now };
    }
  }

  /**
   * Nearly every entry is new (the log sees one only again when Kafka redelivers), so the whole
   * lot is tried at once; only when that hits an entry already logged is the log searched for
   * them, and the rest written. This keeps a lookup of thousands of ids off the serial commit.
   */
  private async insertNew(m: EntityManager, unique: Map<string, LogEntryInput>, appended: Map<string, number>): Promise<void> {
    if (unique.size === 0) return;
    await sqlRows(m, 'SAVEPOINT new_entries');
    try {
      await this.insert(m, [...unique.values()], appended);
      return;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await sqlRows(m, 'ROLLBACK TO SAVEPOINT new_entries');
    }
    await this.dropLogged(m, unique, appended);
    if (unique.size > 0) await this.insert(m, [...unique.values()], appended);
  }

  /** Moves the entries already in the log from `unique` to `appended`, with their seq. */
  private async dropLogged(m: EntityManager, unique: Map<string, LogEntryInput>, appended: Map<string, number>): Promise<void> {
    if (unique.size === 0) return;
    const existing = await sqlRows<{ entry_id: string; seq: string }>(m, `SELECT entry_id, seq FROM audit.entries WHERE entry_id = ANY($1::text[])`, [[...unique.keys()]]);
    for (const row of existing) {
      unique.delete(row.entry_id);
      appended.set(row.entry_id, Number(row.seq));
    }
  }

  private async insert(m: EntityManager, fresh: readonly LogEntryInput[], appended: Map<string, number>): Promise<void> {
    const first = this.tree.size;
    let chain = this.tree.chain;
    const leaves: Buffer[] = [];
    const chains: Buffer[] = [];
    for (const e of fresh) {
      chain = chainHash(chain, e.leafHash);
      leaves.push(e.leafHash);
      chains.push(chain);
    }
    // The duplicate check above ran under the log's lock, so every row is new: COPY needs no ON CONFLICT.
    await copyRows(
      m,
      'audit.entries',
      ['seq', 'entry_id', 'source', 'type', 'task_id', 'worker_id', 'decision_id', 'occurred_at', 'body', 'leaf_hash', 'chain_hash'],
      fresh.map((e, i) => [first + i, e.entryId, e.source, e.type, e.taskId, e.workerId, e.decisionId, e.occurredAt, e.body, e.leafHash, chains[i]]),
    );
    fresh.forEach((e, i) => appended.set(e.entryId, first + i));
    this.tree.appendPending(leaves, chain);
  }

  private async storeCheckpoint(m: EntityManager, c: Checkpoint): Promise<void> {
    await sqlRows(
      m,
      `INSERT INTO audit.checkpoints (tree_size, root_hash, origin, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tree_size) DO NOTHING`,
      [c.treeSize, Buffer.from(c.rootHash, 'hex'), c.origin, c.timestamp, c.keyId, c.signature],
    );
  }
}
