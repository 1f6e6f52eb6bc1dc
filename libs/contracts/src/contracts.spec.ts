import {
  DeadLetterRecord,
  DecisionEvent,
  OfferEvent,
  PolicyEvent,
  TaskEvent,
  TOPIC_LAYOUTS,
  TOPIC_SCHEMAS,
  TOPICS,
  WorkerEvent,
  WorkerScoreEvent,
  deadLetterTopic,
  describeIssues,
} from './index';
import { aTaskPosted, aWorkerEvent, aWorkerRegistered, envelope } from '@clearwork/testing';
import type { z } from 'zod';

function issuePaths(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('expected the value to be rejected');
  return describeIssues(result.error).map((i) => i.path);
}

const validByTopic: Record<string, unknown[]> = {
  [TOPICS.tasks]: [
    aTaskPosted(),
    aTaskPosted({ deadline: '2026-12-01T00:00:00.000Z', replicas: 3, excludedWorkerIds: ['w-1'], offerTtlSeconds: 30 }),
    envelope('TaskCancelled', { taskId: 't-1', reason: 'duplicate' }),
  ],
  [TOPICS.workerEvents]: [
    aWorkerRegistered({ cohort: { gender: 'f', region: 'KE' } }),
    aWorkerEvent('WorkerProfileUpdated', { workerId: 'w-1', capacity: 3 }),
    aWorkerEvent('WorkerWentOnline', { workerId: 'w-1' }),
    aWorkerEvent('WorkerWentOffline', { workerId: 'w-1' }),
    aWorkerEvent('WorkerHeartbeat', { workerId: 'w-1' }),
    aWorkerEvent('OfferAccepted', { workerId: 'w-1', offerId: 'o-1', taskId: 't-1' }),
    aWorkerEvent('OfferDeclined', { workerId: 'w-1', offerId: 'o-1', taskId: 't-1', reason: 'personal_emergency' }),
    aWorkerEvent('TaskSubmitted', { workerId: 'w-1', taskId: 't-1', durationSeconds: 42 }),
    aWorkerEvent('TaskReviewed', { workerId: 'w-1', taskId: 't-1', verdict: 'approved', quality: 0.9, gold: true }),
    aWorkerEvent('TaskAbandoned', { workerId: 'w-1', taskId: 't-1' }),
    aWorkerEvent('WorkerSuspended', { workerId: 'w-1', reason: 'fraud review' }),
    aWorkerEvent('WorkerReinstated', { workerId: 'w-1', reason: 'review cleared' }),
  ],
  [TOPICS.offers]: [
    envelope('OfferMade', {
      offerId: 'o-1', taskId: 't-1', workerId: 'w-1', replica: 1, attempt: 1,
      expiresAt: '2026-11-22T10:00:30.000Z', decisionId: 'd-1', payCents: 120, currency: 'EUR',
    }),
    envelope('OfferExpired', { offerId: 'o-1', taskId: 't-1', workerId: 'w-1', reason: 'ttl' }),
    envelope('OfferWithdrawn', { offerId: 'o-1', taskId: 't-1', workerId: 'w-1', reason: 'task_cancelled' }),
    envelope('TaskAssigned', { taskId: 't-1', workerId: 'w-1', offerId: 'o-1', replica: 1 }),
    envelope('TaskWaiting', { taskId: 't-1', reasons: [{ code: 'offline', count: 3 }] }),
    envelope('TaskUnassignable', { taskId: 't-1', reasons: [{ code: 'max_attempts' }] }),
  ],
  [TOPICS.workerScores]: [
    envelope('WorkerScored', {
      workerId: 'w-1', policyVersion: 1, composite: 0.5, scoredAt: '2026-11-22T10:00:00.000Z',
      components: {
        quality: { value: 0.5, uncertainty: 0.2, evidence: 2 },
        latency: { value: 0.5, uncertainty: 0.2, evidence: 2 },
        availability: { value: 0.5, uncertainty: 0.2, evidence: 2 },
      },
    }),
  ],
  [TOPICS.decisions]: [
    envelope('DecisionRecorded', {
      decisionId: 'd-1', taskId: 't-1', replica: 1, attempt: 1, decidedAt: '2026-11-22T10:00:00.000Z',
      policy: { version: 1, contentHash: 'ab'.repeat(32) }, poolSize: 5, filteredOut: { offline: 3 },
      topK: [{ rank: 1, workerId: 'w-1', components: { quality: 0.5 }, baseScore: 0.5, adjustments: [], finalScore: 0.5 }],
      selectedWorkerId: 'w-1', cutoffScore: 0.5, inputDigest: 'cd'.repeat(32), summary: '1/5 eligible',
    }),
  ],
  [TOPICS.policies]: [
    envelope('PolicyPublished', {
      version: 1, contentHash: 'ab'.repeat(32), publishedAt: '2026-11-22T10:00:00.000Z',
      rationale: 'initial policy', document: { weights: { quality: 0.5 } },
    }),
  ],
};

describe('contract v1 schemas', () => {
  it('has a schema and a layout for every topic', () => {
    expect(Object.keys(TOPIC_SCHEMAS).sort()).toEqual(Object.values(TOPICS).sort());
    expect(TOPIC_LAYOUTS.map((l) => l.name).sort()).toEqual(Object.values(TOPICS).sort());
    expect(TOPIC_LAYOUTS.find((l) => l.name === TOPICS.workerScores)?.compacted).toBe(true);
    for (const name of [TOPICS.tasks, TOPICS.workerEvents]) {
      expect(TOPIC_LAYOUTS.find((l) => l.name === name)?.partitions).toBeGreaterThanOrEqual(6);
    }
    expect(deadLetterTopic(TOPICS.tasks)).toBe('gig.tasks.v1.dlq');
  });

  it.each(Object.entries(validByTopic))('accepts valid examples on %s', (topic, examples) => {
    const schema = TOPIC_SCHEMAS[topic as keyof typeof TOPIC_SCHEMAS] as z.ZodType;
    for (const example of examples) {
      const result = schema.safeParse(example);
      if (!result.success) throw new Error(`${topic}: ${JSON.stringify(describeIssues(result.error))}`);
    }
  });

  it('applies the documented defaults to TaskPosted', () => {
    const { data } = aTaskPosted();
    const { priority: _p, replicas: _r, ...withoutDefaults } = data;
    const parsed = TaskEvent.parse({ ...aTaskPosted(), data: withoutDefaults });
    expect(parsed.type === 'TaskPosted' && [parsed.data.priority, parsed.data.replicas]).toEqual([5, 1]);
  });

  it.each([
    ['priority above 9', { priority: 10 }, 'data.priority'],
    ['a fractional priority', { priority: 1.5 }, 'data.priority'],
    ['no replicas', { replicas: 0 }, 'data.replicas'],
    ['eleven replicas', { replicas: 11 }, 'data.replicas'],
    ['negative pay', { payCents: -1 }, 'data.payCents'],
    ['a lower-case currency', { currency: 'eur' }, 'data.currency'],
    ['an empty taskId', { taskId: '' }, 'data.taskId'],
    ['a taskId with spaces', { taskId: 'a b' }, 'data.taskId'],
    ['a huge skill list', { requiredSkills: Array.from({ length: 101 }, (_, i) => `s${i}`) }, 'data.requiredSkills'],
    ['a non-ISO deadline', { deadline: 'tomorrow' }, 'data.deadline'],
    ['an infinite estimate', { estimatedSeconds: Infinity }, 'data.estimatedSeconds'],
    ['a NaN pay', { payCents: NaN }, 'data.payCents'],
  ])('rejects a TaskPosted with %s, naming the field', (_label, override, path) => {
    expect(issuePaths(TaskEvent, aTaskPosted(override as never))).toContain(path);
  });

  it('rejects envelope problems naming the field', () => {
    expect(issuePaths(TaskEvent, { ...aTaskPosted(), eventId: 'not-a-uuid' })).toContain('eventId');
    expect(issuePaths(TaskEvent, { ...aTaskPosted(), occurredAt: 'yesterday' })).toContain('occurredAt');
    expect(issuePaths(TaskEvent, { ...aTaskPosted(), type: 'TaskExploded' })).toContain('type');
    expect(issuePaths(TaskEvent, { ...aTaskPosted(), data: undefined })).toContain('data');
    expect(issuePaths(WorkerEvent, aWorkerRegistered({ capacity: 0 }))).toContain('data.capacity');
    expect(issuePaths(WorkerEvent, aWorkerEvent('WorkerSuspended', { workerId: 'w', reason: '' }))).toContain('data.reason');
    expect(
      issuePaths(WorkerEvent, aWorkerEvent('OfferDeclined', { workerId: 'w', offerId: 'o', taskId: 't', reason: 'bored' as never })),
    ).toContain('data.reason');
    expect(
      issuePaths(WorkerEvent, aWorkerEvent('TaskReviewed', { workerId: 'w', taskId: 't', verdict: 'approved', quality: 2, gold: false })),
    ).toContain('data.quality');
  });

  it('rejects output events with missing fields, naming them', () => {
    expect(issuePaths(OfferEvent, envelope('OfferMade', { offerId: 'o' }))).toEqual(
      expect.arrayContaining(['data.taskId', 'data.workerId', 'data.expiresAt']),
    );
    expect(issuePaths(DecisionEvent, envelope('DecisionRecorded', { decisionId: 'd' }))).toContain('data.policy');
    expect(issuePaths(WorkerScoreEvent, envelope('WorkerScored', { workerId: 'w', composite: 1.5 }))).toContain('data.composite');
    expect(issuePaths(PolicyEvent, envelope('PolicyPublished', { version: 1, contentHash: 'x' }))).toContain('data.contentHash');
  });

  it('describes dead-letter records and rejects incomplete ones', () => {
    const record = {
      sourceTopic: TOPICS.tasks, partition: 2, offset: '41', keyBase64: null, valueBase64: Buffer.from('{').toString('base64'),
      headers: {}, error: { kind: 'invalid_json', message: 'Unexpected end of JSON input', issues: [] },
      consumerGroup: 'dispatcher', deadLetteredAt: '2026-11-22T10:00:00.000Z',
    };
    expect(DeadLetterRecord.parse(record)).toEqual(record);
    expect(issuePaths(DeadLetterRecord, { ...record, offset: -1 })).toContain('offset');
  });
});
