import fc from 'fast-check';
import { plainTieBreak } from '@clearwork/testing';
import { decisionDraw, tieBreak } from './tie-break';

describe('tieBreak', () => {
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
