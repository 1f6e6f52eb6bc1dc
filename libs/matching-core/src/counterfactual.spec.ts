import fc from 'fast-check';
import { smallestWinningImprovement } from './counterfactual';

const weights = { quality: 0.5, latency: 0.2, availability: 0.3 };
const finalOf = (c: Record<string, number>) => Object.entries(weights).reduce((s, [k, w]) => s + w * (c[k] ?? 0), 0);

describe('smallestWinningImprovement', () => {
  it('given a gap of 0.05, when quality (weight 0.5) can rise by 0.1, then that is the smallest change', () => {
    const answer = smallestWinningImprovement({ yours: { quality: 0.6, latency: 0.5, availability: 0.5 }, yourFinal: 0.55, selectedFinal: 0.6, weights, winsTies: true });
    expect(answer).toMatchObject({ kind: 'improvement', component: 'quality', from: 0.6, to: 0.7, by: 0.1 });
  });

  it('needs one step more when the tie-break would go the other way', () => {
    const answer = smallestWinningImprovement({ yours: { quality: 0.6 }, yourFinal: 0.55, selectedFinal: 0.6, weights, winsTies: false });
    expect(answer).toMatchObject({ kind: 'improvement', component: 'quality', by: 0.100002 });
  });

  it('skips a component that would have to exceed 1 and picks the next best', () => {
    const answer = smallestWinningImprovement({ yours: { quality: 0.95, latency: 0.1, availability: 0.2 }, yourFinal: 0.5, selectedFinal: 0.6, weights, winsTies: true });
    expect(answer).toMatchObject({ kind: 'improvement', component: 'availability', to: 0.533334 });
  });

  it('says so when no single component could have won', () => {
    const answer = smallestWinningImprovement({ yours: { quality: 0.2, latency: 0.2, availability: 0.2 }, yourFinal: 0.2, selectedFinal: 0.95, weights, winsTies: true });
    expect(answer.kind).toBe('none');
    expect(answer.text).toMatch(/No single score component/);
  });

  it('property: the improvement, applied, reaches the selected score and stays within [0, 1]', () => {
    const unit = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(fc.record({ quality: unit, latency: unit, availability: unit }), fc.double({ min: 0, max: 1, noNaN: true }), (yours, selectedFinal) => {
        const yourFinal = finalOf(yours);
        fc.pre(selectedFinal > yourFinal);
        const answer = smallestWinningImprovement({ yours, yourFinal, selectedFinal, weights, winsTies: true });
        if (answer.kind !== 'improvement') {
          for (const k of Object.keys(weights)) expect(finalOf({ ...yours, [k]: 1 })).toBeLessThan(selectedFinal + 1e-6);
          return;
        }
        expect(answer.to).toBeLessThanOrEqual(1);
        expect(finalOf({ ...yours, [answer.component]: answer.to })).toBeGreaterThanOrEqual(selectedFinal - 1e-9);
      }),
    );
  });
});
