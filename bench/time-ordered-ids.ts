/*
 * Appending rows keyed by time-ordered ids (UUID version 7, what the services now make) to a
 * table whose unique index already holds millions of them, against the same appends keyed by
 * random ids (version 4, what they made before: the baseline), in the same run. The table is the
 * shape of the log's entry ids (`audit.entries.entry_id`, text, unique); the same holds for the
 * other indexes keyed by the services' ids (decisions, offers, events recorded as handled).
 *   npx tsx bench/time-ordered-ids.ts [--rows 4000000] [--appends 200000] [--help]
 * Needs PostgreSQL (bash scripts/infra.sh up). Results: a table on stdout, progress on stderr,
 * JSON in bench/results/time-ordered-ids.json. Exit status: 0 when measured, 2 when the run could
 * not be made.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { timeOrderedId } from '../libs/platform/src/ids/time-ordered-id';
import { createScratchDatabase, type ScratchDatabase } from './support/audit-service';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, printEnvironment, ROOT } from './support/environment';
import { printTable, progress, thousands, writeJson } from './support/report';
import { walBytesSince, walPosition } from './support/wal';

const SPEC = {
  script: 'bench/time-ordered-ids.ts',
  summary:
    'Appends to a unique index of ids already holding --rows of them, in statements of --batch rows as the\n' +
    "log's group commits write them: time-ordered ids (UUID version 7) against random ones (version 4, the\n" +
    'baseline), alternating, each after a checkpoint. Reports time, WAL and index pages read per row.',
  options: {
    rows: { default: 4_000_000, min: 1_000, help: 'ids in each index before the appends' },
    appends: { default: 200_000, min: 1_000, help: 'ids appended in each measured round' },
    batch: { default: 500, min: 1, help: 'ids per statement (one transaction each)' },
    rounds: { default: 2, min: 1, help: 'measured rounds of each kind, alternating' },
    'ids-per-second': { default: 2_000, min: 1, help: 'rate the ids are dated at, as if made by a log growing at it' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'time-ordered-ids.json');
const PRELOAD_CHUNK = 50_000;

type Kind = 'random' | 'ordered';
const TABLE: Record<Kind, string> = { random: 'random_ids', ordered: 'ordered_ids' };

interface Round {
  readonly kind: Kind;
  readonly seconds: number;
  readonly walBytes: number;
  readonly indexPagesRead: number;
  readonly indexPagesHit: number;
}

/** Ids of one kind, dated as if made at `perSecond` from `startMs` on (random ids ignore the date). */
function idMaker(kind: Kind, startMs: number, perSecond: number): () => string {
  let made = 0;
  return kind === 'random' ? () => randomUUID() : () => timeOrderedId(startMs + (made++ * 1_000) / perSecond);
}

async function indexPages(db: Client, table: string): Promise<{ read: number; hit: number }> {
  const { rows } = await db.query<{ read: string; hit: string }>(
    `SELECT coalesce(sum(idx_blks_read), 0) AS read, coalesce(sum(idx_blks_hit), 0) AS hit FROM pg_statio_user_indexes WHERE relname = $1`,
    [table],
  );
  return { read: Number(rows[0].read), hit: Number(rows[0].hit) };
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const scratch: ScratchDatabase = await createScratchDatabase(`bench_ids_${randomBytes(4).toString('hex')}`);
  const db = new Client({ connectionString: scratch.url });
  await db.connect();
  try {
    const perSecond = options['ids-per-second'];
    // The preloaded ids are dated before now, as a log that has been growing at `perSecond`.
    const startMs = Date.now() - (options.rows / perSecond) * 1_000;
    const makers: Record<Kind, () => string> = { random: idMaker('random', startMs, perSecond), ordered: idMaker('ordered', startMs, perSecond) };
    for (const kind of ['random', 'ordered'] as const) {
      await db.query(`CREATE TABLE ${TABLE[kind]} (entry_id text NOT NULL UNIQUE)`);
      for (let done = 0; done < options.rows; done += PRELOAD_CHUNK) {
        const ids = Array.from({ length: Math.min(PRELOAD_CHUNK, options.rows - done) }, makers[kind]);
        await db.query(`INSERT INTO ${TABLE[kind]} SELECT unnest($1::text[])`, [ids]);
        if ((done / PRELOAD_CHUNK) % 20 === 19) progress(`[${kind}] ${thousands(done + ids.length)} / ${thousands(options.rows)} ids loaded`);
      }
      const { rows } = await db.query<{ size: string }>(`SELECT pg_size_pretty(pg_relation_size('${TABLE[kind]}_entry_id_key')) AS size`);
      progress(`[${kind}] ${thousands(options.rows)} ids loaded, index ${rows[0].size}`);
    }
    await db.query('VACUUM ANALYZE');

    const rounds: Round[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (const kind of ['random', 'ordered'] as const) {
        // The ids are made before the clock starts: the statements' cost is measured, not the id maker's.
        const ids = Array.from({ length: options.appends }, makers[kind]);
        await db.query('CHECKPOINT');
        const walBefore = await walPosition(db);
        const pagesBefore = await indexPages(db, TABLE[kind]);
        const started = process.hrtime.bigint();
        for (let at = 0; at < ids.length; at += options.batch) {
          await db.query(`INSERT INTO ${TABLE[kind]} SELECT unnest($1::text[])`, [ids.slice(at, at + options.batch)]);
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const walBytes = await walBytesSince(db, walBefore);
        const pagesAfter = await indexPages(db, TABLE[kind]);
        rounds.push({ kind, seconds, walBytes, indexPagesRead: pagesAfter.read - pagesBefore.read, indexPagesHit: pagesAfter.hit - pagesBefore.hit });
        progress(`[round ${round + 1}, ${kind}] ${thousands(options.appends)} ids in ${seconds.toFixed(2)} s, ${thousands(walBytes / options.appends)} bytes of WAL each`);
      }
    }

    const summary = (kind: Kind) => {
      const of = rounds.filter((r) => r.kind === kind);
      const n = of.length * options.appends;
      return {
        kind,
        microsPerRow: (of.reduce((s, r) => s + r.seconds, 0) * 1e6) / n,
        walBytesPerRow: of.reduce((s, r) => s + r.walBytes, 0) / n,
        indexPagesReadPerRow: of.reduce((s, r) => s + r.indexPagesRead, 0) / n,
      };
    };
    const random = summary('random');
    const ordered = summary('ordered');
    console.log(`\n${thousands(options.appends)} ids appended ${options.rounds} times each kind to an index of ${thousands(options.rows)}, ${options.batch} a statement\n`);
    printTable(
      ['ids', 'µs per row', 'WAL bytes per row', 'index pages read (not in shared buffers) per row'],
      [
        ['random (version 4): baseline', random.microsPerRow.toFixed(1), thousands(random.walBytesPerRow), random.indexPagesReadPerRow.toFixed(3)],
        ['time-ordered (version 7)', ordered.microsPerRow.toFixed(1), thousands(ordered.walBytesPerRow), ordered.indexPagesReadPerRow.toFixed(3)],
      ],
    );
    // With an index small enough to stay in shared buffers neither reads a page: no ratio then.
    const pagesRead = random.indexPagesReadPerRow > 0 ? ordered.indexPagesReadPerRow / random.indexPagesReadPerRow : null;
    const ratio = { time: ordered.microsPerRow / random.microsPerRow, wal: ordered.walBytesPerRow / random.walBytesPerRow, pagesRead };
    console.log(`\nratio time-ordered / random: time ${ratio.time.toFixed(2)}, WAL ${ratio.wal.toFixed(2)}, index pages read ${pagesRead === null ? 'none read by either' : pagesRead.toFixed(3)}`);
    writeJson(RESULTS, { benchmark: 'time-ordered-ids', measuredAt: new Date().toISOString(), environment, options, rounds, random, ordered, ratio });
    console.log(`\nresults written to ${RESULTS.replace(`${ROOT}/`, '')}`);
  } finally {
    await db.end();
    await scratch.drop();
  }
}

main().catch((error: Error) => {
  console.error(`time-ordered-ids benchmark failed: ${error.message} (is PostgreSQL up? bash scripts/infra.sh up)`);
  process.exit(2);
});
