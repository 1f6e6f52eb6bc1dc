/** Topic names of contract v1. Integrators code against these: add, never rename. */
export const TOPICS = {
  tasks: 'gig.tasks.v1',
  workerEvents: 'gig.worker-events.v1',
  offers: 'gig.offers.v1',
  workerScores: 'gig.worker-scores.v1',
  decisions: 'gig.decisions.v1',
  policies: 'gig.policies.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** The dead-letter topic that receives the messages of `topic` that failed validation. */
export function deadLetterTopic(topic: TopicName): `${TopicName}.dlq` {
  return `${topic}.dlq`;
}

/** How each topic is laid out; the infra script and the services create topics from this. */
export interface TopicLayout {
  readonly name: TopicName;
  readonly partitions: number;
  readonly compacted: boolean;
}

export const TOPIC_LAYOUTS: readonly TopicLayout[] = [
  { name: TOPICS.tasks, partitions: 6, compacted: false },
  { name: TOPICS.workerEvents, partitions: 6, compacted: false },
  { name: TOPICS.offers, partitions: 6, compacted: false },
  { name: TOPICS.workerScores, partitions: 6, compacted: true },
  { name: TOPICS.decisions, partitions: 6, compacted: false },
  { name: TOPICS.policies, partitions: 1, compacted: false },
];
