/*
 * The outbox relay against a real PostgreSQL: the eager path publishes each committed
 * transaction's events in commit order and deletes their rows, never a row polling took; events
 * the publisher refused stay and are published by polling once past the grace period; a stop
 * deletes what was published and publishes what was left. The publisher here is a recorder
 * (the relay's own interface, not Kafka): what is under test is the relay's use of the table.
 */
import { randomUUID } from 'node:crypto';
import { enqueue, EventPublisher, outboxTableSql, OutboxRelay, PlatformMetrics, sqlRows, type OutgoingMessage } from '@clearwork/platform';
import { eventually } from './support/eventually';
import { scratchDatabase } from './support/scratch-database';

const SCHEMA = 'relaytest';

class RecordingPublisher extends EventPublisher {
  readonly sent: OutgoingMessage[] = [];
  refuse = false;
  constructor() {
    super(undefined as never);
  }
  override async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.refuse) throw new Error('broker unavailable');
    this.sent.push(...messages);
  }
}

describe('outbox relay against a real PostgreSQL', () => {
  const pg = scratchDatabase('clearwork_outbox', { schema: SCHEMA, migrations: [] });

  beforeAll(async () => {
    await pg.dataSource.query(outboxTableSql(SCHEMA));
  });

  const rowsLeft = async () => Number((await sqlRows<{ n: string }>(pg.dataSource.manager, `SELECT count(*) AS n FROM ${SCHEMA}.outbox`))[0].n);
  const events = (n: number) => Array.from({ length: n }, (_, i) => ({ topic: 't', key: `k${i}`, value: { eventId: randomUUID(), n: i } }));

  /** Enqueues in a transaction of its own and hands the committed events to the relay, as a unit does. */
  async function commit(relay: OutboxRelay, batch: ReturnType<typeof events>): Promise<void> {
    const enqueued = await pg.dataSource.transaction((m) => enqueue(m, SCHEMA, batch));
    relay.committed(enqueued);
  }

  it('publishes committed events in commit order and deletes their rows', async () => {
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay(pg.dataSource, SCHEMA, publisher, new PlatformMetrics('outbox-test'));
    try {
      const first = events(3);
      const second = events(2);
      await commit(relay, first);
      relay.start();
      await commit(relay, second);
      await eventually(() => expect(publisher.sent.map((m) => (m.value as { eventId: string }).eventId)).toEqual([...first, ...second].map((e) => e.value.eventId)));
      await eventually(async () => expect(await rowsLeft()).toBe(0), { timeoutMs: 5_000, what: 'the published rows to be deleted' });
      expect(publisher.sent).toHaveLength(5); // polling never published them a second time
    } finally {
      await relay.stop();
    }
  });

  it('sends the next events without waiting for the delete of those before, and deletes one batch at a time', async () => {
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay(pg.dataSource, SCHEMA, publisher, new PlatformMetrics('outbox-test'));
    const blocker = pg.dataSource.createQueryRunner();
    const sentIds = () => publisher.sent.map((m) => (m.value as { eventId: string }).eventId);
    try {
      // The eager path alone (no polling started): its delete of the first events waits on a row lock held here.
      const first = await pg.dataSource.transaction((m) => enqueue(m, SCHEMA, events(1)));
      await blocker.startTransaction();
      await blocker.query(`SELECT id FROM ${SCHEMA}.outbox WHERE id = ANY($1::bigint[]) FOR UPDATE`, [first.map((e) => e.id)]);
      relay.committed(first);
      await eventually(() => expect(sentIds()).toEqual(first.map((e) => e.value.eventId)), { timeoutMs: 5_000, what: 'the first events to be sent' });
      // Read outside the blocker's transaction, whose view of pg_stat_activity is a snapshot taken at its first read.
      const deletesWaiting = async () =>
        Number((await pg.dataSource.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM "${SCHEMA}".outbox%'`))[0].n);
      await eventually(async () => expect(await deletesWaiting()).toBe(1), { timeoutMs: 5_000, what: "the first events' delete to wait on the lock" });

      const second = events(2);
      const third = events(3);
      await commit(relay, second);
      await commit(relay, third);
      await eventually(() => expect(sentIds()).toEqual([...first.map((e) => e.value), ...second.map((e) => e.value), ...third.map((e) => e.value)].map((v) => v.eventId)), {
        timeoutMs: 5_000,
        what: 'the later events to be sent while the first delete waits',
      });
      // Deletes run one at a time: the later rows wait for the first delete, not beside it.
      expect(await rowsLeft()).toBe(6);
      expect(await deletesWaiting()).toBe(1);

      await blocker.rollbackTransaction();
      await eventually(async () => expect(await rowsLeft()).toBe(0), { timeoutMs: 5_000, what: 'every published row to be deleted once the lock is gone' });
      expect(publisher.sent).toHaveLength(6);
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
      await relay.stop();
    }
  });

  it('publishes once an event that polling took between its commit and the call that hands it to the eager path', async () => {
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay(pg.dataSource, SCHEMA, publisher, new PlatformMetrics('outbox-test'));
    try {
      relay.start();
      const batch = events(2);
      const enqueued = await pg.dataSource.transaction((m) => enqueue(m, SCHEMA, batch));
      await eventually(() => expect(publisher.sent).toHaveLength(2), { timeoutMs: 10_000, what: 'polling to publish the committed rows once past the grace' });
      relay.committed(enqueued); // late, as when the unit's process was busy after its commit
      await new Promise((r) => setTimeout(r, 500));
      expect(publisher.sent.map((m) => (m.value as { eventId: string }).eventId)).toEqual(batch.map((e) => e.value.eventId));
      await eventually(async () => expect(await rowsLeft()).toBe(0), { timeoutMs: 5_000, what: 'the published rows to be deleted' });
    } finally {
      await relay.stop();
    }
  });

  it("leaves another instance's fresh rows to that instance's eager path, even with no traffic of its own", async () => {
    const standbyPublisher = new RecordingPublisher();
    const standby = new OutboxRelay(pg.dataSource, SCHEMA, standbyPublisher, new PlatformMetrics('outbox-test'));
    // The active instance's publishing is slow, so its rows stay in the table through several polls.
    const slow = new (class extends RecordingPublisher {
      override async publish(messages: readonly OutgoingMessage[]): Promise<void> {
        await new Promise((r) => setTimeout(r, 2_500));
        await super.publish(messages);
      }
    })();
    const active = new OutboxRelay(pg.dataSource, SCHEMA, slow, new PlatformMetrics('outbox-test'));
    try {
      standby.start();
      await new Promise((r) => setTimeout(r, 300)); // its first poll, which takes rows of any age, is over
      const batch = events(3);
      await commit(active, batch);
      await eventually(() => expect(slow.sent).toHaveLength(3), { timeoutMs: 10_000, what: 'the active instance to publish its rows' });
      await eventually(async () => expect(await rowsLeft()).toBe(0), { timeoutMs: 5_000, what: 'their rows to be deleted' });
      expect(standbyPublisher.sent).toEqual([]);
    } finally {
      await standby.stop();
      await active.stop();
    }
  }, 30_000);

  it('leaves refused events to polling, which publishes them once past the grace period', async () => {
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay(pg.dataSource, SCHEMA, publisher, new PlatformMetrics('outbox-test'));
    try {
      await commit(relay, events(1)); // the eager path is now in use
      relay.start();
      await eventually(() => expect(publisher.sent).toHaveLength(1));
      publisher.refuse = true;
      const refused = events(2);
      await commit(relay, refused);
      await new Promise((r) => setTimeout(r, 500));
      expect(await rowsLeft()).toBeGreaterThanOrEqual(2);
      publisher.refuse = false;
      await eventually(() => expect(publisher.sent.slice(1).map((m) => (m.value as { eventId: string }).eventId)).toEqual(refused.map((e) => e.value.eventId)), {
        timeoutMs: 10_000, what: 'polling to publish the refused events',
      });
      await eventually(async () => expect(await rowsLeft()).toBe(0), { timeoutMs: 5_000, what: 'their rows to be deleted' });
    } finally {
      await relay.stop();
    }
  }, 30_000);

  it('on stop, deletes what it published and publishes what is left', async () => {
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay(pg.dataSource, SCHEMA, publisher, new PlatformMetrics('outbox-test'));
    await commit(relay, events(4));
    relay.start();
    // A row committed without reaching the eager path (its process died between commit and publish).
    await pg.dataSource.transaction((m) => enqueue(m, SCHEMA, events(1)));
    await relay.stop();
    expect(publisher.sent).toHaveLength(5);
    expect(await rowsLeft()).toBe(0);
  });
});
