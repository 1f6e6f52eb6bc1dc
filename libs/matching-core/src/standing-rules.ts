import type { Candidate, MatchContext, TaskRequirements } from './candidate';
import { replacedSince, type PreviousVersion } from './base-order';
import { ELIGIBILITY_FILTERS, firstFailedRule } from './eligibility-filters';

/**
 * The hard rules as they stand for one pool and one kind of task (its skills, languages and
 * qualifications), before the facts of an attempt: nobody excluded, on the task or declined, and
 * capacity in use as the pool holds it. An attempt then checks afresh only the few members its
 * own facts touch (see `RankingInput.standingRules`) instead of every member of the pool.
 */
export interface StandingRules {
  /** Per position, the index in ELIGIBILITY_FILTERS of the first rule failed, or -1. */
  readonly rule: Int8Array;
  /** How many members fail each rule first, by index in ELIGIBILITY_FILTERS. */
  readonly counts: Int32Array;
}

export type RuleRequirements = Pick<TaskRequirements, 'requiredSkills' | 'languages' | 'requiredQualifications'>;

const NOBODY: ReadonlySet<string> = new Set();

/**
 * The standing rules of `candidates` for tasks with these requirements. With `previous` (the
 * rules of an earlier version of the same pool: the same workers at the same positions, some of
 * them replaced by newer candidate objects) only the replaced candidates are checked again. A
 * previous version of another length or with other workers is ignored. `skillsHeld` as in
 * `RankingInput`: the skill rule is not checked.
 */
export function standingRules(
  candidates: readonly Candidate[],
  requirements: RuleRequirements,
  { skillsHeld = false, previous }: { skillsHeld?: boolean; previous?: PreviousVersion & { readonly rules: StandingRules } } = {},
): StandingRules {
  const context: MatchContext = {
    task: { taskId: '', queue: '', excludedWorkerIds: [], requiredSkills: requirements.requiredSkills, languages: requirements.languages, requiredQualifications: requirements.requiredQualifications },
    onTask: NOBODY,
    declined: NOBODY,
  };
  const replaced = previous && replacedSince(candidates, previous);
  if (replaced) return mend(candidates, context, skillsHeld, replaced, previous!.rules);
  const rule = new Int8Array(candidates.length);
  const counts = new Int32Array(ELIGIBILITY_FILTERS.length);
  for (let i = 0; i < candidates.length; i++) {
    const failed = firstFailedRule(candidates[i], context, skillsHeld);
    rule[i] = failed;
    if (failed >= 0) counts[failed]++;
  }
  return { rule, counts };
}

/** The previous rules with the replaced candidates checked again. */
function mend(candidates: readonly Candidate[], context: MatchContext, skillsHeld: boolean, replaced: readonly number[], previous: StandingRules): StandingRules {
  let rule: Int8Array | undefined;
  let counts: Int32Array | undefined;
  for (const i of replaced) {
    const now = firstFailedRule(candidates[i], context, skillsHeld);
    const was = previous.rule[i];
    if (now === was) continue;
    rule ??= Int8Array.from(previous.rule);
    counts ??= Int32Array.from(previous.counts);
    rule[i] = now;
    if (was >= 0) counts[was]--;
    if (now >= 0) counts[now]++;
  }
  return rule ? { rule, counts: counts! } : previous;
}
