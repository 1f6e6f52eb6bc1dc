import type { FilterReason } from '@clearwork/contracts';

/** What the matcher knows about one worker at decision time. */
export interface Candidate {
  readonly workerId: string;
  readonly skills: readonly string[];
  readonly languages: readonly string[];
  readonly qualifications: readonly string[];
  readonly online: boolean;
  readonly suspended: boolean;
  readonly capacity: number;
  readonly activeTasks: number;
  readonly scores: Readonly<Record<string, number>>;
  /** Review evidence behind quality (decayed); little evidence makes a newcomer. */
  readonly qualityEvidence?: number;
  /** Share of the task's queue's recent offers this worker received. */
  readonly queueShare?: number;
}

/** The parts of a task the hard rules look at. */
export interface TaskRequirements {
  readonly taskId: string;
  readonly queue: string;
  readonly requiredSkills: readonly string[];
  readonly languages: readonly string[];
  readonly requiredQualifications: readonly string[];
  readonly excludedWorkerIds: readonly string[];
}

/** Per-decision facts that are not part of the task: who already holds or refused it. */
export interface MatchContext {
  readonly task: TaskRequirements;
  /** Workers holding another replica of this task (replicas need distinct workers). */
  readonly onTask: ReadonlySet<string>;
  /** Workers who declined or let an offer for this task expire: never offered it again. */
  readonly declined: ReadonlySet<string>;
}

/** A hard eligibility rule; a worker it rejects is counted under its reason code. */
export interface FilterPlugin {
  readonly reason: FilterReason;
  passes(candidate: Candidate, context: MatchContext): boolean;
}
