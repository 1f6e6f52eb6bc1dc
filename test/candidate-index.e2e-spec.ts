import { Client } from 'pg';
import { CandidateIndex, CHANGES_SQL, isOnline } from '../apps/dispatcher/src/workers/candidate-index';
import { dispatcherDatabase } from './support/scratch-database';

/**
 * The dispatcher's in-memory worker registry against a real PostgreSQL: it reads only changed
 * rows, yet never misses a change committed by a transaction that was still open when it last
 * looked (the case a timestamp watermark gets wrong).
 */
describe('CandidateIndex', () => {
  const pg = dispatcherDatabase('cw_index');
  const now = new Date();
  const ids = (index: CandidateIndex, skills: string[]) => index.members(skills).map((w) => w.workerId);
  const member = (index: CandidateIndex, id: string) => index.members(['label']).find((w) => w.workerId === id)!;
  const add = (id: string, skills: string[], lastSeen: Date | null = now) =>
    pg.writer.query(`INSERT INTO dispatcher.workers (worker_id, skills, capacity, online, last_seen_at) VALUES ($1, $2, 1, true, $3)`, [id, skills, lastSeen]);

  it('finds every worker with the skills, sees changes once committed, and misses none that committed late', async () => {
    const index = new CandidateIndex(pg.dataSource);
    await index.refresh();
    expect(index.size).toBe(0);

    await add('w-a', ['label', 'audio']);
    await add('w-b', ['label']);
    await add('w-stale', ['label'], new Date(now.getTime() - 120_000));
    await index.refresh();
    expect(ids(index, ['label'])).toEqual(['w-a', 'w-b', 'w-stale']);
    expect(ids(index, ['audio', 'label'])).toEqual(['w-a']);
    expect(isOnline(member(index, 'w-stale'), now, 60)).toBe(false);
    expect(isOnline(member(index, 'w-a'), now, 60)).toBe(true);

    // A transaction takes its id, changes w-b and stays open while others commit and the index looks.
    const slow = new Client({ connectionString: pg.url });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(`UPDATE dispatcher.workers SET skills = '{label,audio}' WHERE worker_id = 'w-b'`);
      await add('w-c', ['audio']);
      await index.refresh();
      expect(ids(index, ['audio'])).toEqual(['w-a', 'w-c']);
      await slow.query('COMMIT');
    } finally {
      await slow.end();
    }
    await index.refresh();
    expect(ids(index, ['audio'])).toEqual(['w-a', 'w-b', 'w-c']);

    // Scores and suspension changed by any statement are seen too.
    await pg.writer.query(`UPDATE dispatcher.workers SET suspended = true, scores = '{"quality":0.9}' WHERE worker_id = 'w-a'`);
    await index.refresh();
    const a = member(index, 'w-a');
    expect(a).toMatchObject({ suspended: true, scores: { quality: 0.9 } });
  });

  it('reads only what changed: a refresh after no change returns no rows', async () => {
    const index = new CandidateIndex(pg.dataSource);
    await index.refresh();
    const before = index.size;
    const counted = await pg.dataSource.query(`SELECT count(*)::int AS n FROM dispatcher.workers`);
    expect(before).toBe(counted[0].n);
    const { rows } = await pg.writer.query(`SELECT count(*)::int AS n FROM dispatcher.workers WHERE changed_xid >= pg_snapshot_xmin(pg_current_snapshot())`);
    expect(rows[0].n).toBe(0);
  });

  it('reads the offers written since through their index, on a table of thousands never analyzed', async () => {
    // Without statistics an open range (`>= $2`) is estimated at a third of the table, and as the
    // table grew the planner chose to read it whole on every refresh; a closed one is estimated small.
    await pg.writer.query(
      `INSERT INTO dispatcher.offers (offer_id, task_id, queue, replica, attempt, worker_id, decision_id, state, expires_at)
       SELECT 'o-' || g, 't-' || g, 'labelling', 1, 1, 'w-' || (g % 50), 'd-' || g, 'accepted', now() FROM generate_series(1, 5000) g`,
    );
    const { rows: [{ xmin }] } = await pg.writer.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
    const { rows } = await pg.writer.query(`EXPLAIN (FORMAT JSON) ${CHANGES_SQL}`, [xmin, xmin]);
    const scans: { 'Node Type': string; 'Relation Name'?: string; 'Plan Rows': number }[] = [];
    const walk = (node: { Plans?: unknown[] } & (typeof scans)[number]) => {
      scans.push(node);
      for (const child of node.Plans ?? []) walk(child as typeof node);
    };
    walk(rows[0]['QUERY PLAN'][0].Plan);
    const offerScans = scans.filter((n) => n['Relation Name'] === 'offers');
    expect(offerScans.length).toBeGreaterThan(0);
    for (const scan of offerScans) {
      expect(scan['Node Type']).not.toBe('Seq Scan');
      expect(scan['Plan Rows']).toBeLessThan(250);
    }
    expect(JSON.stringify(rows[0])).toContain('offers_created_xid');
  });
});
