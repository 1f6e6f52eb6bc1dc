import type { OutboxEvent, OutboxRelay } from '@clearwork/platform';
import type { DataSource, EntityManager } from 'typeorm';
import type { CapacityLedger } from './capacity-ledger';
import { runUnit, type UnitObserver } from './dispatch-unit';

/** A transaction that commits unless `work` throws; outbox inserts answer with row ids. */
function fakes() {
  const happened: string[] = [];
  const m = { query: async (_sql: string, params: unknown[][]) => params[0].map((_, i) => ({ id: String(i + 1) })) } as unknown as EntityManager;
  const dataSource = {
    transaction: async <T>(work: (m: EntityManager) => Promise<T>) => {
      const value = await work(m);
      happened.push('commit');
      return value;
    },
  } as unknown as DataSource;
  const ledger = { lostClaims: 0, releaseMany: async () => undefined } as unknown as CapacityLedger;
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
