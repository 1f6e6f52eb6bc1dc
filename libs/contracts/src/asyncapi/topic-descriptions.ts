import type { TopicEvent } from '../topic-schemas';
import type { TopicName } from '../topics';
import { TOPICS } from '../topics';

/** Every event type of contract v1, across all topics. */
export type EventType = TopicEvent<TopicName>['type'];

/** What an integrator needs to know about one topic beyond its schema and layout. */
export interface TopicDescription {
  /** `in`: the platform produces and the engine consumes; `out`: the engine produces. */
  readonly direction: 'in' | 'out';
  /** The field of the event whose value is the message key, and so chooses the partition. */
  readonly key: string;
  readonly description: string;
}

/** Keyed by topic so that a topic added to the contract cannot be left undescribed. */
export const TOPIC_DESCRIPTIONS: Readonly<Record<TopicName, TopicDescription>> = {
  [TOPICS.tasks]: {
    direction: 'in',
    key: 'data.taskId',
    description: 'Tasks posted and cancelled by the platform. Keyed by taskId so that one task stays in order.',
  },
  [TOPICS.workerEvents]: {
    direction: 'in',
    key: 'data.workerId',
    description: 'Worker profiles, presence, answers to offers, submissions and reviews. Keyed by workerId so that one worker stays in order.',
  },
  [TOPICS.offers]: {
    direction: 'out',
    key: 'data.taskId',
    description: 'Offers made to workers and their fate, assignments, and tasks that wait or cannot be assigned.',
  },
  [TOPICS.workerScores]: {
    direction: 'out',
    key: 'data.workerId',
    description: 'Every worker\'s latest score under the published policy. Compacted: the last message of each worker is kept.',
  },
  [TOPICS.decisions]: {
    direction: 'out',
    key: 'data.taskId',
    description: 'The full record of every dispatch decision: filters, ranked candidates, adjustments, selection, input digest.',
  },
  [TOPICS.policies]: {
    direction: 'out',
    key: 'data.version',
    description: 'Every published version of the scoring policy, with its content hash and rationale.',
  },
};

/** One line per event type, as the contract states it. */
export const EVENT_SUMMARIES: Readonly<Record<EventType, string>> = {
  TaskPosted: 'A task to dispatch: skills, languages, qualifications, priority (0-9, higher first), pay, estimate, replicas.',
  TaskCancelled: 'The platform withdraws a task; open offers on it are withdrawn.',
  WorkerRegistered: 'A worker joins with skills, languages, qualifications, capacity and an optional self-reported cohort.',
  WorkerProfileUpdated: 'Any of the profile fields of a registered worker change.',
  WorkerWentOnline: 'The worker is available for offers.',
  WorkerWentOffline: 'The worker is no longer available for offers.',
  WorkerHeartbeat: 'The worker is still online; presence lapses when heartbeats stop for the policy\'s TTL.',
  OfferAccepted: 'The worker accepts an offer.',
  OfferDeclined: 'The worker declines an offer, optionally with a reason.',
  TaskSubmitted: 'The worker submits the work of a task.',
  TaskReviewed: 'The submitted work is reviewed: approved or rejected, with an optional quality and whether it was a gold task.',
  TaskAbandoned: 'The worker gives up a task they had accepted.',
  WorkerSuspended: 'The platform suspends a worker; a reason is required.',
  WorkerReinstated: 'The platform lifts a suspension.',
  OfferMade: 'A task replica is offered to a worker until expiresAt, under the decision that chose them.',
  OfferExpired: 'An offer passed its TTL unanswered.',
  OfferWithdrawn: 'An offer was withdrawn, for instance because its task was cancelled.',
  TaskAssigned: 'A worker accepted and holds a task replica.',
  TaskWaiting: 'No eligible worker now; the task is retried when one appears.',
  TaskUnassignable: 'The engine gave up on a task replica under the policy.',
  WorkerScored: 'A worker\'s components (quality, latency, availability) with uncertainty and evidence, and the composite.',
  DecisionRecorded: 'The record of one dispatch attempt for one task replica.',
  PolicyPublished: 'A new version of the scoring policy, with its document, content hash and rationale.',
};

/** Partitions of every dead-letter topic, as the services create them. */
export const DEAD_LETTER_PARTITIONS = 1;
