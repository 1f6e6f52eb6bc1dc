/** The smallest change to one of a worker's score components that would have won the decision. */
export type Counterfactual =
  | { readonly kind: 'improvement'; readonly component: string; readonly from: number; readonly to: number; readonly by: number; readonly text: string }
  | { readonly kind: 'none'; readonly text: string }
  | { readonly kind: 'rule'; readonly rule: string; readonly text: string };

export interface CounterfactualInput {
  /** The worker's own components, each in [0, 1]. */
  readonly yours: Readonly<Record<string, number>>;
  readonly yourFinal: number;
  readonly selectedFinal: number;
  /** The policy weight of each component. */
  readonly weights: Readonly<Record<string, number>>;
  /** Whether, at an equal final score, the tie-break would have put this worker first. */
  readonly winsTies: boolean;
}

const STEP = 1e-6;
const up = (x: number) => Math.ceil(x / STEP - 1e-9) * STEP;
const fmt = (x: number) => String(Math.round(x * 1e4) / 1e4);

/**
 * Because the score is linear in each component, raising component `c` by `d` raises the final
 * score by `weight(c) * d`; the smallest winning `d` per component is the gap over the weight
 * (plus one recorded step when a tie would not go this worker's way). The smallest `d` whose
 * result still fits in [0, 1] is the answer; if none fits, no single component could have won.
 */
export function smallestWinningImprovement(input: CounterfactualInput): Counterfactual {
  const gap = input.selectedFinal - input.yourFinal;
  const needed = gap + (input.winsTies ? 0 : STEP);
  let best: { component: string; from: number; to: number; by: number } | null = null;
  for (const [component, weight] of Object.entries(input.weights)) {
    if (weight <= 0) continue;
    const from = input.yours[component] ?? 0;
    const by = round(up(Math.max(0, needed) / weight));
    // Up to the recorded step, not to the nearest: a target rounded down could fall short of the gap.
    const to = round(up(from + by));
    if (to > 1 + 1e-12) continue;
    if (!best || by < best.by || (by === best.by && component < best.component)) best = { component, from, to, by };
  }
  if (!best) {
    return {
      kind: 'none',
      text: `No single score component could have closed the gap of ${fmt(gap)}: even at its maximum of 1, each would have left you below the selected worker.`,
    };
  }
  return {
    kind: 'improvement',
    ...best,
    text: `Had your ${best.component} score been ${fmt(best.to)} instead of ${fmt(best.from)} (+${fmt(best.by)}), with everything else the same, you would have ranked first.`,
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
