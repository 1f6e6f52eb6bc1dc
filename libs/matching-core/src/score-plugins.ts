import type { Candidate } from './candidate';

/** One weighted part of a candidate's score, in [0, 1]; the policy gives its weight by name. */
export interface ScorePlugin {
  readonly name: string;
  score(candidate: Candidate): number;
}

const component = (name: string): ScorePlugin => ({
  name,
  score: (c) => Math.min(1, Math.max(0, c.scores[name] ?? 0)),
});

/** The score plugins, registered by the names the policy weighs. */
export const SCORE_PLUGINS = {
  quality: component('quality'),
  latency: component('latency'),
  availability: component('availability'),
} as const satisfies Record<string, ScorePlugin>;
