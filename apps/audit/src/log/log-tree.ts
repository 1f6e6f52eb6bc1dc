import { Inject, Injectable, Logger } from '@nestjs/common';
import { GENESIS_CHAIN, MerkleLog } from '@clearwork/audit-core';
import { sqlRows } from '@clearwork/platform';
import { DataSource, type EntityManager } from 'typeorm';

const PAGE = 50_000;

/**
 * The in-memory Merkle tree of the committed log, for proofs in microseconds. It is rebuilt
 * from the leaf hashes in PostgreSQL at start-up and caught up whenever another instance (or a
 * failed write of this one) may have moved the database ahead of it.
 */
@Injectable()
export class LogTree {
  private tree = new MerkleLog();
  private lastChain: Buffer = GENESIS_CHAIN;
  private readonly log = new Logger(LogTree.name);
  private lock: Promise<unknown> = Promise.resolve();

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  get size(): number {
    return this.tree.size;
  }

  get chain(): Buffer {
    return this.lastChain;
  }

  get merkle(): MerkleLog {
    return this.tree;
  }

  /**
   * Runs `fn` alone with the tree: catching up, and appending what a write is about to commit,
   * must not interleave or the same entry could be added twice.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Brings the tree up to what is committed (for readers, who may be behind another instance's
   * writes). It takes a connection before the tree: a writer holds its connection while it
   * waits for the tree, so the other order could leave each waiting for the other (at once with
   * a single connection, as in embedded mode; with a pool, once the pool is taken).
   */
  async refresh(): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      await this.exclusive(() => this.catchUp(runner.manager));
    } finally {
      await runner.release();
    }
  }

  /** Reads every committed entry the tree has not seen yet; only inside `exclusive`. */
  async catchUp(m: EntityManager = this.dataSource.manager): Promise<void> {
    const started = Date.now();
    let loaded = 0;
    for (;;) {
      // A closed range, not `seq >= $1 LIMIT n`: while the table grows faster than it is analyzed,
      // the open form was planned as a parallel scan of the whole table (about 5 ms per write, for
      // nothing: nearly every call finds no entry), the closed one as an index range scan.
      const rows = await sqlRows<{ seq: string; leaf_hash: Buffer; chain_hash: Buffer }>(
        m,
        `SELECT seq, leaf_hash, chain_hash FROM audit.entries WHERE seq >= $1 AND seq < $2 ORDER BY seq`,
        [this.tree.size, this.tree.size + PAGE],
      );
      for (const row of rows) {
        if (Number(row.seq) !== this.tree.size) throw new Error(`the log has a gap: expected entry ${this.tree.size}, found ${row.seq}`);
        this.tree.append(row.leaf_hash);
        this.lastChain = row.chain_hash;
      }
      loaded += rows.length;
      if (rows.length < PAGE) break;
    }
    if (loaded > 10_000) this.log.log(`loaded ${loaded} log entries in ${Date.now() - started} ms (tree size ${this.tree.size})`);
  }

  /** Adds entries about to be committed; `discard()` undoes it if the commit fails. */
  appendPending(leaves: readonly Buffer[], lastChain: Buffer): void {
    for (const leaf of leaves) this.tree.append(leaf);
    this.lastChain = lastChain;
  }

  /** Forgets everything; the next `catchUp` rebuilds from what is committed. */
  discard(): void {
    this.tree = new MerkleLog();
    this.lastChain = GENESIS_CHAIN;
  }
}
