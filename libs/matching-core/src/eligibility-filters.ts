import type { FilterPlugin } from './candidate';

// Plain loops: these run for every member of a pool (thousands) on every attempt.
function hasAll(have: readonly string[], need: readonly string[]): boolean {
  for (let i = 0; i < need.length; i++) if (!have.includes(need[i])) return false;
  return true;
}

function hasAny(have: readonly string[], wanted: readonly string[]): boolean {
  for (let i = 0; i < wanted.length; i++) if (have.includes(wanted[i])) return true;
  return false;
}

/**
 * The hard rules in the order they are checked; a worker is counted under the first rule it
 * fails, so the counts add up to the pool size minus the eligible workers.
 */
export const ELIGIBILITY_FILTERS = [
  { reason: 'excluded', passes: (c, { task }) => !task.excludedWorkerIds.includes(c.workerId) },
  { reason: 'suspended', passes: (c) => !c.suspended },
  { reason: 'skill_missing', passes: (c, { task }) => hasAll(c.skills, task.requiredSkills) },
  {
    reason: 'language_mismatch',
    passes: (c, { task }) => task.languages.length === 0 || hasAny(c.languages, task.languages),
  },
  { reason: 'qualification_missing', passes: (c, { task }) => hasAll(c.qualifications, task.requiredQualifications) },
  { reason: 'already_on_task', passes: (c, { onTask }) => !onTask.has(c.workerId) },
  { reason: 'declined_before', passes: (c, { declined }) => !declined.has(c.workerId) },
  { reason: 'offline', passes: (c) => c.online },
  { reason: 'at_capacity', passes: (c) => c.activeTasks < c.capacity },
] as const satisfies readonly FilterPlugin[];
