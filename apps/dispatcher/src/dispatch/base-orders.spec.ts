import { baseOrder, type Candidate } from '@clearwork/matching-core';
import { DEFAULT_POLICY } from '@clearwork/scoring-core';
import type { ActivePolicy } from '../policies/dispatch-policy';
import { BaseOrders } from './dispatch-planner';
import type { Pool } from './standing-pools';

const policy = (contentHash: string, weights = DEFAULT_POLICY.weights) => ({ version: 1, contentHash, document: { ...DEFAULT_POLICY, weights } }) as unknown as ActivePolicy;

function candidate(workerId: string, quality: number): Candidate {
  return { workerId, skills: ['s'], languages: ['en'], qualifications: [], online: true, suspended: false, capacity: 1, activeTasks: 0, scores: { quality, latency: 0.5, availability: 0.5 } };
}

function pool(members: Candidate[], positions: ReadonlyMap<string, number> = new Map(members.map((c, i) => [c.workerId, i]))): Pool {
  return { members, positions, digest: '' };
}

/** The order as worker ids, best first. */
const ids = (p: Pool, order: { order: Int32Array }) => Array.from(order.order, (i) => p.members[i].workerId);

describe('BaseOrders', () => {
  it('keeps an order per pool and policy, mends it for a copy of the pool, and builds it again for a new policy or a rebuilt pool', () => {
    const orders = new BaseOrders();
    const first = pool([candidate('a', 0.2), candidate('b', 0.9), candidate('c', 0.5)]);
    const a = policy('p1');
    const order = orders.of('s', first, a);
    expect(ids(first, order)).toEqual(['b', 'c', 'a']);
    expect(orders.of('s', first, a)).toBe(order);

    // A copy (same positions) where only capacity in use changed keeps the order as it was.
    const busier = pool(first.members.map((c) => ({ ...c, activeTasks: 1 })), first.positions);
    expect(orders.of('s', busier, a)).toBe(order);

    // A copy where a score changed: the order is mended, and equals one built afresh.
    const rescored = pool([{ ...busier.members[0], scores: { quality: 1, latency: 0.5, availability: 0.5 } }, ...busier.members.slice(1)], first.positions);
    const mended = orders.of('s', rescored, a);
    expect(ids(rescored, mended)).toEqual(['a', 'b', 'c']);
    expect(Array.from(mended.base)).toEqual(Array.from(baseOrder(rescored.members, a.document.weights).base));

    // Another policy's weights: built again under them.
    const latencyOnly = policy('p2', { quality: 0, latency: 1, availability: 0 } as typeof DEFAULT_POLICY.weights);
    const rescoredLatency = pool(rescored.members.map((c, i) => ({ ...c, scores: { ...c.scores, latency: [0.1, 0.9, 0.5][i] } })), first.positions);
    expect(ids(rescoredLatency, orders.of('s', rescoredLatency, latencyOnly))).toEqual(['b', 'c', 'a']);

    // A pool built again (someone joined): its own positions, built afresh.
    const grown = pool([...rescoredLatency.members, candidate('d', 1)]);
    const built = orders.of('s', grown, latencyOnly);
    expect(built.base.length).toBe(4);
    expect(ids(grown, built)[0]).toBe('b');
  });
});
