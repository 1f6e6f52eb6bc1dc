import type { FilterPlugin } from './candidate';

const hasAll = (have: readonly string[], need: readonly string[]) => need.every((n) => have.includes(n));

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
    passes: (c, { task }) => task.languages.length === 0 || task.languages.some((l) => c.languages.includes(l)),
  },
  { reason: 'qualification_missing', passes: (c, { task }) => hasAll(c.qualifications, task.requiredQualifications) },
  { reason: 'already_on_task', passes: (c, { onTask }) => !onTask.has(c.workerId) },
  { reason: 'declined_before', passes: (c, { declined }) => !declined.has(c.workerId) },
  { reason: 'offline', passes: (c) => c.online },
  { reason: 'at_capacity', passes: (c) => c.activeTasks < c.capacity },
] as const satisfies readonly FilterPlugin[];
