import type { EntityManager } from 'typeorm';
import { Rounds } from './rounds';
import { sqlName, sqlRows } from './sql';

/**
 * The tables of `schema` that have grown by more than their size at their last analysis, and by
 * 1,000 rows at least (live rows, as PostgreSQL's statistics counters have them): their plans were
 * made for a table less than half as large. Rows updated in place, or inserted and deleted again
 * (an outbox), do not count: a table of workers updated at every heartbeat is not analyzed
 * again for that, which at 20,000 rows of state took seconds each time.
 */
export async function tablesToAnalyze(m: EntityManager, schema: string): Promise<string[]> {
  const rows = await sqlRows<{ relname: string }>(m,
    `SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      WHERE s.schemaname = $1 AND s.n_live_tup > 1000 + 2 * greatest(c.reltuples, 0)
      ORDER BY s.relname`,
    [schema],
  );
  return rows.map((r) => r.relname);
}

/** Whether the server's autovacuum is on (and so analyzes tables as they change). */
export async function autovacuumOn(m: EntityManager): Promise<boolean> {
  const [row] = await sqlRows<{ on: boolean }>(m, `SELECT current_setting('autovacuum') = 'on' AS on`);
  return row.on;
}

/** Analyzes the tables `tablesToAnalyze` finds, one statement each; returns their names. */
export async function analyzeGrown(m: EntityManager, schema: string): Promise<string[]> {
  const tables = await tablesToAnalyze(m, schema);
  for (const table of tables) await m.query(`ANALYZE "${sqlName(schema)}"."${sqlName(table)}"`);
  return tables;
}

/**
 * Keeps the planner's statistics of a service's tables when the server's autovacuum is off (a
 * test or CI server, some managed setups): every `intervalMs`, the tables that grew by more
 * than their size since they were last analyzed (see `tablesToAnalyze`) are analyzed.
 *
 * Without statistics, a table is planned from its size alone, and a named statement keeps the
 * generic plan it was given after its fifth run for the connection's life, unless an analysis of
 * one of its tables has it made again. Planned while the tables were nearly empty, that plan is
 * often a sequential scan, which costs more with every row the table gains (see BENCHMARKS.md,
 * "Plans made while the tables were empty"). With autovacuum on, it analyzes tables as they
 * change, and this does nothing.
 */
export class StatisticsKeeper {
  private readonly rounds: Rounds<string[]>;

  constructor(
    private readonly manager: EntityManager,
    private readonly schema: string,
    private readonly intervalMs: number,
    private readonly log: { log(message: string): void; warn(message: string): void },
  ) {
    this.rounds = new Rounds(intervalMs, () => this.analyzeOnce(), []);
  }

  /** Starts the rounds if autovacuum is off; returns whether it did. */
  async start(): Promise<boolean> {
    if (this.rounds.started || this.intervalMs === 0) return false;
    if (await autovacuumOn(this.manager)) return false;
    this.log.log(`autovacuum is off on this server: the tables of ${this.schema} that grow by more than their size are analyzed every ${this.intervalMs / 1000} s`);
    this.rounds.start();
    return true;
  }

  /** Stops the rounds; waits for one under way. */
  stop(): Promise<void> {
    return this.rounds.stop();
  }

  /** One round now; returns the tables analyzed (none after a failure, which is logged). */
  round(): Promise<string[]> {
    return this.rounds.run();
  }

  private async analyzeOnce(): Promise<string[]> {
    const started = Date.now();
    try {
      const tables = await analyzeGrown(this.manager, this.schema);
      if (tables.length > 0) this.log.log(`analyzed ${tables.map((t) => `${this.schema}.${t}`).join(', ')} in ${Date.now() - started} ms`);
      return tables;
    } catch (error) {
      this.log.warn(`analyzing the tables of ${this.schema} failed (${(error as Error).message}); trying again in ${this.intervalMs / 1000} s`);
      return [];
    }
  }
}
