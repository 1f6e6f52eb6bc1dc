import fc from 'fast-check';
import { plainKeyedTieBreak, plainTieBreak } from '@clearwork/testing';
import { decisionDraw, keyedTie, TIE_BREAK_RULE, tieBreak, tieBreaker, tieBreakRuleOf, tieKey } from './tie-break';

describe('tieBreak (fnv1a-pair)', () => {
  it('keeps the values decisions were recorded with', () => {
    expect(tieBreak('t-1', 'w-1')).toBe(3941770788);
    expect(tieBreak('8f14e45f-ceea-467f-a9d0-5b2c0e0a1a11', 'worker-00042')).toBe(2274063106);
    expect(tieBreak('', '')).toBe(1057798253);
    expect(tieBreak('tâche', 'wörker')).toBe(3841015322);
    expect(decisionDraw('t-1', 1, 2)).toBe(0.858702031429857);
  });

  it('is FNV-1a of taskId:workerId for any strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (t, w) => expect(tieBreak(t, w)).toBe(plainTieBreak(t, w))));
  });
});

describe('fmix32-keys', () => {
  it('is the rule new decisions are ranked by', () => {
    expect(TIE_BREAK_RULE).toBe('fmix32-keys');
  });

  it('keeps the values decisions are recorded with', () => {
    const tie = tieBreaker('t-1', 'fmix32-keys');
    expect(tie('w-1')).toBe(plainKeyedTieBreak('t-1', 'w-1'));
    expect(tie('w-1')).toBe(4120232691);
    expect(tieBreaker('8f14e45f-ceea-467f-a9d0-5b2c0e0a1a11')('worker-00042')).toBe(2546443602);
    expect(tieBreaker('', 'fmix32-keys')('')).toBe(0);
    expect(tieBreaker('tâche', 'fmix32-keys')('wörker')).toBe(3573516023);
  });

  it('is the finaliser of MurmurHash3 over FNV-1a(taskId) XOR FNV-1a(workerId) for any strings, from kept keys or from ids', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (t, w) => {
        expect(tieBreaker(t, 'fmix32-keys')(w)).toBe(plainKeyedTieBreak(t, w));
        expect(keyedTie(tieKey(t), tieKey(w))).toBe(plainKeyedTieBreak(t, w));
      }),
    );
  });

  it('orders a task\'s tied workers as if at random: each of 8 comes first about equally often over many tasks', () => {
    const workers = Array.from({ length: 8 }, (_, i) => `worker-${i}`);
    const first = new Map<string, number>();
    for (let n = 0; n < 16_000; n++) {
      const tie = tieBreaker(`task-${n}`);
      const best = workers.reduce((a, b) => (tie(b) < tie(a) ? b : a));
      first.set(best, (first.get(best) ?? 0) + 1);
    }
    // 2,000 each expected; a bias of a tenth is far outside chance (sd about 42).
    for (const w of workers) expect(Math.abs((first.get(w) ?? 0) - 2_000)).toBeLessThan(200);
  });
});

describe('tieBreaker', () => {
  it('under fnv1a-pair gives tieBreak', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (t, w) => expect(tieBreaker(t, 'fnv1a-pair')(w)).toBe(tieBreak(t, w))));
  });

  it('takes a record\'s rule, and fnv1a-pair for records that name none', () => {
    expect(tieBreakRuleOf({})).toBe('fnv1a-pair');
    expect(tieBreakRuleOf({ tieBreak: 'fmix32-keys' })).toBe('fmix32-keys');
    expect(tieBreakRuleOf({ tieBreak: 'fnv1a-pair' })).toBe('fnv1a-pair');
  });
});
