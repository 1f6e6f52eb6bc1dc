import type { OutboxEvent, OutboxRelay } from '@clearwork/platform';
import type { DataSource, EntityManager } from 'typeorm';
import type { CapacityLedger } from './capacity-ledger';
import { runStatementUnit, runUnit, type UnitObserver } from './dispatch-unit';

/** A transaction that commits unless `work` throws; outbox inserts answer with row ids. */
function fakes() {
  const happened: string[] = [];
  const client = { query: async ({ values }: { values: unknown[][] }) => ({ rows: values[0].map((_, i) => ({ id: String(i + 1) })) }) };
  const m = { queryRunner: { isReleased: false, connect: async () => client } } as unknown as EntityManager;
  const dataSource = {
    transaction: async <T>(work: (m: EntityManager) => Promise<T>) => {
      const value = await work(m);
      happened.push('commit');
      return value;
    },
  } as unknown as DataSource;
  const ledger = {
    lostClaims: 0,
    claimMany: async (claims: unknown[]) => claims.map(() => true),
    releaseMany: async (ids: string[]) => {
      if (ids.length > 0) happened.push(`released ${ids.join(',')}`);
    },
  } as unknown as CapacityLedger;
  const relay = { committed: (events: unknown[]) => happened.push(`published ${events.length}`) } as unknown as OutboxRelay;
  const observer: UnitObserver = { unitCommitted: (events) => happened.push(`observed ${events.map((e) => (e.value as { eventId: string; type?: string }).type).join(',')}`) };
  return { happened, dataSource, ledger, relay, observer };
}

const offerMade: OutboxEvent = { topic: 'gig.offers.v1', key: 't-1', value: { eventId: 'e-1', type: 'OfferMade' } as { eventId: string } };

describe('runUnit', () => {
  it('tells the observer and runs the after-commit effects once the transaction has committed', async () => {
    const { happened, dataSource, ledger, relay, observer } = fakes();
    const result = await runUnit(dataSource, ledger, relay, async ({ emit, afterCommit }) => {
      emit([offerMade]);
      afterCommit(() => happened.push('effect'));
      happened.push('work');
      return 42;
    }, observer);
    expect(result).toBe(42);
    expect(happened).toEqual(['work', 'commit', 'published 1', 'observed OfferMade', 'effect']);
  });

  it('neither observes nor runs the effects of a unit that rolls back', async () => {
    const { happened, dataSource, ledger, relay, observer } = fakes();
    const unit = runUnit(dataSource, ledger, relay, async ({ emit, afterCommit }) => {
      emit([offerMade]);
      afterCommit(() => happened.push('effect'));
      throw new Error('serialization failure');
    }, observer);
    await expect(unit).rejects.toThrow('serialization failure');
    expect(happened).toEqual([]);
  });
});

describe('runStatementUnit', () => {
  it('writes in one statement after planning, then publishes, tells the observer and hands back the slots it did not use', async () => {
    const { happened, dataSource, ledger, relay, observer } = fakes();
    const result = await runStatementUnit(dataSource, ledger, relay, async ({ claims }) => {
      await claims.claimMany([{ workerId: 'w-1', capacity: 1 }, { workerId: 'w-2', capacity: 1 }]);
      happened.push('planned');
      return {
        write: async () => {
          happened.push('statement');
          return { enqueued: [{ ...offerMade, id: '7' }], unused: ['w-2'], result: 42 };
        },
      };
    }, observer);
    expect(result).toBe(42);
    expect(happened).toEqual(['planned', 'statement', 'published 1', 'observed OfferMade', 'released w-2']);
  });

  it('hands back every slot claimed when the statement fails, and neither publishes nor observes', async () => {
    const { happened, dataSource, ledger, relay, observer } = fakes();
    const unit = runStatementUnit(dataSource, ledger, relay, async ({ claims }) => {
      await claims.claimMany([{ workerId: 'w-1', capacity: 1 }, { workerId: 'w-2', capacity: 1 }]);
      return {
        write: async () => {
          throw new Error('connection lost');
        },
      };
    }, observer);
    await expect(unit).rejects.toThrow('connection lost');
    expect(happened).toEqual(['released w-1,w-2']);
  });
});
