import { COMPONENTS, DEFAULT_POLICY, policyHash } from './policy';

describe('default policy', () => {
  it('weighs every component and the weights sum to 1', () => {
    expect(Object.keys(DEFAULT_POLICY.weights).sort()).toEqual([...COMPONENTS].sort());
    expect(Object.values(DEFAULT_POLICY.weights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('has a content hash that is stable under key order and changes with any parameter', () => {
    const reordered = { ...DEFAULT_POLICY, weights: { availability: 0.3, latency: 0.2, quality: 0.5 } };
    expect(policyHash(reordered)).toBe(policyHash(DEFAULT_POLICY));
    expect(policyHash(DEFAULT_POLICY)).toMatch(/^[0-9a-f]{64}$/);
    const changed = { ...DEFAULT_POLICY, dispatch: { ...DEFAULT_POLICY.dispatch, offerTtlSeconds: 61 } };
    expect(policyHash(changed)).not.toBe(policyHash(DEFAULT_POLICY));
  });
});
