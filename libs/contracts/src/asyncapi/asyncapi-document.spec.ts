import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { TOPIC_SCHEMAS } from '../topic-schemas';
import { deadLetterTopic, TOPIC_LAYOUTS, TOPICS, type TopicName } from '../topics';
import { ASYNCAPI_PATH, asyncApiDocument, asyncApiYaml, eventSchemasOf, staleAsyncApi, type JsonObject } from './asyncapi-document';

/** The event types of each topic, as contract v1 names them. */
const CONTRACT_EVENTS: Record<TopicName, string[]> = {
  [TOPICS.tasks]: ['TaskPosted', 'TaskCancelled'],
  [TOPICS.workerEvents]: [
    'WorkerRegistered', 'WorkerProfileUpdated', 'WorkerWentOnline', 'WorkerWentOffline', 'WorkerHeartbeat', 'OfferAccepted',
    'OfferDeclined', 'TaskSubmitted', 'TaskReviewed', 'TaskAbandoned', 'WorkerSuspended', 'WorkerReinstated',
  ],
  [TOPICS.offers]: ['OfferMade', 'OfferExpired', 'OfferWithdrawn', 'TaskAssigned', 'TaskWaiting', 'TaskUnassignable'],
  [TOPICS.workerScores]: ['WorkerScored'],
  [TOPICS.decisions]: ['DecisionRecorded'],
  [TOPICS.policies]: ['PolicyPublished'],
};

const document = asyncApiDocument();

/** Follows a local `$ref` such as `#/components/messages/TaskPosted`. */
function resolveRef(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
}

function refsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => (key === '$ref' && typeof value === 'string' ? [value] : refsIn(value)));
}

describe('AsyncAPI document of contract v1', () => {
  it('is AsyncAPI 3.0 with a channel for every topic and its dead-letter topic, and an operation on each', () => {
    expect(document.asyncapi).toBe('3.0.0');
    const topics = Object.values(TOPICS).flatMap((t) => [t, deadLetterTopic(t)]);
    expect(Object.values(document.channels).map((c) => c.address).sort()).toEqual(topics.sort());
    const operated = Object.values(document.operations).map((o) => (resolveRef(o.channel.$ref) as { address: string }).address);
    expect(operated.sort()).toEqual(topics.sort());
  });

  it.each(Object.entries(CONTRACT_EVENTS))('gives %s one message per event type, named as the contract names it', (topic, types) => {
    expect(eventSchemasOf(TOPIC_SCHEMAS[topic as TopicName]).map((e) => e.type)).toEqual(types);
    expect(Object.keys(document.channels[topic].messages)).toEqual(types);
    for (const type of types) {
      const message = resolveRef(document.channels[topic].messages[type].$ref) as { name: string; payload: { $ref: string }; summary: string };
      expect(message.name).toBe(type);
      expect(message.summary.length).toBeGreaterThan(0);
      const payload = resolveRef(message.payload.$ref) as JsonObject & { properties: Record<string, JsonObject>; required: string[] };
      expect(payload.type).toBe('object');
      expect(payload.properties.type).toEqual({ type: 'string', const: type });
      expect(payload.properties.data.type).toBe('object');
      expect(payload.required).toEqual(['eventId', 'type', 'occurredAt', 'data']);
    }
  });

  it('gives the partition count, compaction and key of every topic', () => {
    for (const layout of TOPIC_LAYOUTS) {
      const kafka = document.channels[layout.name].bindings.kafka;
      expect(kafka).toMatchObject({ topic: layout.name, partitions: layout.partitions });
      expect(kafka.topicConfiguration).toEqual({ 'cleanup.policy': [layout.compacted ? 'compact' : 'delete'] });
      expect(document.channels[deadLetterTopic(layout.name)].bindings.kafka).toMatchObject({ partitions: 1 });
    }
    expect(document.components.messages.TaskPosted.bindings.kafka.key).toMatchObject({ description: expect.stringContaining('data.taskId') });
    expect(document.components.messages.WorkerScored.bindings.kafka.key).toMatchObject({ description: expect.stringContaining('data.workerId') });
  });

  it('describes dead letters with the DeadLetterRecord schema', () => {
    const payload = resolveRef(document.components.messages.DeadLetterRecord.payload.$ref) as { properties: Record<string, unknown> };
    expect(Object.keys(payload.properties)).toEqual(expect.arrayContaining(['sourceTopic', 'partition', 'offset', 'valueBase64', 'error']));
  });

  it('has no reference that leads nowhere', () => {
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) expect([ref, resolveRef(ref) !== undefined]).toEqual([ref, true]);
  });

  it('is written the same way every time, and the committed file is the one the schemas give', () => {
    expect(asyncApiYaml()).toBe(asyncApiYaml(asyncApiDocument()));
    const committed = readFileSync(resolve(__dirname, '../../../..', ASYNCAPI_PATH), 'utf8');
    expect(staleAsyncApi(committed, asyncApiYaml())).toBeNull();
  });

  it('refuses a topic schema that is not made of event schemas', () => {
    expect(() => eventSchemasOf(z.object({ type: z.string() }))).toThrow('string literal `type`');
  });
});

describe('staleAsyncApi (the --check mode)', () => {
  const generated = 'asyncapi: "3.0.0"\ninfo:\n  title: Clearwork contract v1\n';

  it('passes when the file is what the schemas give', () => {
    expect(staleAsyncApi(generated, generated)).toBeNull();
  });

  it('names the first line that differs and the command that fixes it', () => {
    const edited = generated.replace('Clearwork', 'Clearwork edited');
    expect(staleAsyncApi(edited, generated)).toBe(
      'docs/asyncapi.yaml is out of date: run npx tsx scripts/asyncapi.ts\n' +
        '  first difference at line 3: the file has "  title: Clearwork edited contract v1", the schemas give "  title: Clearwork contract v1"',
    );
  });

  it('notices a file that is shorter, longer or missing', () => {
    expect(staleAsyncApi(generated.slice(0, 20), generated)).toContain('first difference at line 2: the file has "in"');
    expect(staleAsyncApi(`${generated}extra: 1\n`, generated)).toContain('first difference at line 4: the file has "extra: 1", the schemas give ""');
    expect(staleAsyncApi(null, generated)).toBe('docs/asyncapi.yaml is out of date: run npx tsx scripts/asyncapi.ts\n  docs/asyncapi.yaml does not exist');
  });
});
