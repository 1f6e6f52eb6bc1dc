import type { z } from 'zod';
import { DecisionEvent } from './decisions/value';
import { OfferEvent } from './offers/value';
import { PolicyEvent } from './policies/value';
import { TaskEvent } from './tasks/value';
import { TOPICS, type TopicName } from './topics';
import { WorkerEvent } from './worker-events/value';
import { WorkerScoreEvent } from './worker-scores/value';

/** The schema every message on each topic must satisfy. */
export const TOPIC_SCHEMAS = {
  [TOPICS.tasks]: TaskEvent,
  [TOPICS.workerEvents]: WorkerEvent,
  [TOPICS.offers]: OfferEvent,
  [TOPICS.workerScores]: WorkerScoreEvent,
  [TOPICS.decisions]: DecisionEvent,
  [TOPICS.policies]: PolicyEvent,
} as const satisfies Record<TopicName, z.ZodType>;

export type TopicEvent<T extends TopicName> = z.infer<(typeof TOPIC_SCHEMAS)[T]>;
