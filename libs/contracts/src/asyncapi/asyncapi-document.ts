import { z } from 'zod';
import { DeadLetterRecord } from '../dead-letters/value';
import { TOPIC_SCHEMAS } from '../topic-schemas';
import { deadLetterTopic, TOPIC_LAYOUTS, type TopicLayout } from '../topics';
import { DEAD_LETTER_PARTITIONS, EVENT_SUMMARIES, TOPIC_DESCRIPTIONS, type EventType, type TopicDescription } from './topic-descriptions';
import { toYaml } from './yaml';

export type JsonObject = { [key: string]: unknown };
export interface Ref {
  readonly $ref: string;
}

export interface AsyncApiMessage {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  readonly contentType: string;
  readonly payload: Ref;
  readonly headers?: Ref;
  readonly bindings: { readonly kafka: JsonObject };
}

export interface AsyncApiChannel {
  readonly address: string;
  readonly title: string;
  readonly description: string;
  readonly messages: Readonly<Record<string, Ref>>;
  readonly bindings: { readonly kafka: JsonObject };
}

export interface AsyncApiOperation {
  readonly action: 'send' | 'receive';
  readonly channel: Ref;
  readonly summary: string;
  readonly messages: readonly Ref[];
}

/** The AsyncAPI 3.0 description of contract v1, as built from the zod schemas. */
export interface AsyncApiDocument {
  readonly asyncapi: '3.0.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly defaultContentType: string;
  readonly servers: Readonly<Record<string, JsonObject>>;
  readonly channels: Readonly<Record<string, AsyncApiChannel>>;
  readonly operations: Readonly<Record<string, AsyncApiOperation>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonObject>>;
    readonly messages: Readonly<Record<string, AsyncApiMessage>>;
  };
}

/** One event type carried by a topic, with the schema of its whole message (envelope and data). */
export interface TopicEventSchema {
  readonly type: string;
  readonly schema: z.ZodType;
}

export const ASYNCAPI_PATH = 'docs/asyncapi.yaml';
export const ASYNCAPI_COMMAND = 'npx tsx scripts/asyncapi.ts';

const KAFKA_BINDING_VERSION = '0.5.0';
const DEAD_LETTER_MESSAGE = 'DeadLetterRecord';
const PUBLISHER_HEADERS = 'PublisherHeaders';

const DESCRIPTION = [
  'Every message value is UTF-8 JSON in one envelope, { eventId, type, occurredAt, data }, validated at the edge.',
  'A re-delivered event (same eventId) has no second effect.',
  'A message that fails validation goes to <topic>.dlq with the error, the source partition and offset, and the consumer moves on.',
  'Operations are seen from the engine: it receives the input topics and sends the output and dead-letter topics.',
  'Names are fixed: fields may be added, never renamed.',
].join(' ');

/**
 * The event types of a topic's schema: one per option of a discriminated union on `type`, or
 * the single `type` literal of a one-event schema.
 */
export function eventSchemasOf(schema: z.ZodType): TopicEventSchema[] {
  const options: readonly unknown[] = schema instanceof z.ZodDiscriminatedUnion ? schema.options : [schema];
  return options.map((option) => {
    const type = option instanceof z.ZodObject ? option.shape.type : undefined;
    if (!(option instanceof z.ZodObject) || !(type instanceof z.ZodLiteral) || typeof type.value !== 'string') {
      throw new Error('every topic schema must be an event schema, or a discriminated union of them, with a string literal `type`');
    }
    return { type: type.value, schema: option };
  });
}

/** Builds the document from `TOPIC_LAYOUTS` and `TOPIC_SCHEMAS`; the same schemas always give the same document. */
export function asyncApiDocument(layouts: readonly TopicLayout[] = TOPIC_LAYOUTS): AsyncApiDocument {
  const channels: Record<string, AsyncApiChannel> = {};
  const operations: Record<string, AsyncApiOperation> = {};
  const schemas: Record<string, JsonObject> = {};
  const messages: Record<string, AsyncApiMessage> = {};

  for (const layout of layouts) {
    const described = TOPIC_DESCRIPTIONS[layout.name];
    const events = eventSchemasOf(TOPIC_SCHEMAS[layout.name]);
    for (const { type, schema } of events) {
      if (messages[type]) throw new Error(`event type ${type} is carried by more than one topic`);
      schemas[type] = jsonSchemaOf(schema);
      messages[type] = eventMessage(type as EventType, described);
    }
    const types = events.map((e) => e.type);
    channels[layout.name] = {
      address: layout.name,
      title: layout.name,
      description: `${described.description} Key: ${described.key}. Partitions: ${layout.partitions}.`,
      messages: Object.fromEntries(types.map((type) => [type, ref('components', 'messages', type)])),
      bindings: { kafka: topicBinding(layout.name, layout.partitions, layout.compacted) },
    };
    const action = described.direction === 'in' ? 'receive' : 'send';
    operations[`${layout.name}.${action}`] = {
      action,
      channel: ref('channels', layout.name),
      summary: described.direction === 'in' ? `The engine consumes ${layout.name}.` : `The engine publishes ${layout.name}.`,
      messages: types.map((type) => ref('channels', layout.name, 'messages', type)),
    };

    const dlq = deadLetterTopic(layout.name);
    channels[dlq] = {
      address: dlq,
      title: dlq,
      description: `Messages of ${layout.name} that failed validation or were refused, with their original bytes and the reason. Keyed as the original message.`,
      messages: { [DEAD_LETTER_MESSAGE]: ref('components', 'messages', DEAD_LETTER_MESSAGE) },
      bindings: { kafka: topicBinding(dlq, DEAD_LETTER_PARTITIONS, false) },
    };
    operations[`${dlq}.send`] = {
      action: 'send',
      channel: ref('channels', dlq),
      summary: `The engine dead-letters refused messages of ${layout.name}.`,
      messages: [ref('channels', dlq, 'messages', DEAD_LETTER_MESSAGE)],
    };
  }

  schemas[DEAD_LETTER_MESSAGE] = jsonSchemaOf(DeadLetterRecord);
  messages[DEAD_LETTER_MESSAGE] = {
    name: DEAD_LETTER_MESSAGE,
    title: DEAD_LETTER_MESSAGE,
    summary: 'A refused message: source topic, partition and offset, original key and value (base64), headers, and the error with every issue.',
    contentType: 'application/json',
    payload: ref('components', 'schemas', DEAD_LETTER_MESSAGE),
    bindings: { kafka: { key: { type: ['string', 'null'], description: 'the key of the refused message, unchanged' }, bindingVersion: KAFKA_BINDING_VERSION } },
  };
  schemas[PUBLISHER_HEADERS] = {
    type: 'object',
    properties: {
      'clearwork-service': { type: 'string', description: 'the service that published the event: dispatcher, scoring or audit' },
      'clearwork-deployment': { type: 'string', description: 'the deployment that published it (its consumer group prefix)' },
    },
  };

  return {
    asyncapi: '3.0.0',
    info: { title: 'Clearwork contract v1', version: '1.0.0', description: DESCRIPTION },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'The single-node broker of a local run; set KAFKA_BROKERS for any other.' },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}

/** The document as YAML, headed by a note that it is generated. */
export function asyncApiYaml(document: AsyncApiDocument = asyncApiDocument()): string {
  return `# Generated from the zod schemas in libs/contracts: do not edit, run ${ASYNCAPI_COMMAND}\n${toYaml(document)}`;
}

/** Why the committed document differs from the generated one, or null when it does not. */
export function staleAsyncApi(committed: string | null, generated: string): string | null {
  if (committed === generated) return null;
  const detail = committed === null ? `${ASYNCAPI_PATH} does not exist` : firstDifference(committed, generated);
  return `${ASYNCAPI_PATH} is out of date: run ${ASYNCAPI_COMMAND}\n  ${detail}`;
}

function firstDifference(committed: string, generated: string): string {
  const [have, want] = [committed.split('\n'), generated.split('\n')];
  const line = want.findIndex((text, i) => have[i] !== text);
  const at = line === -1 ? want.length : line;
  const shown = (text: string | undefined) => (text === undefined ? 'nothing' : JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text));
  return `first difference at line ${at + 1}: the file has ${shown(have[at])}, the schemas give ${shown(want[at])}`;
}

function eventMessage(type: EventType, topic: TopicDescription): AsyncApiMessage {
  return {
    name: type,
    title: type,
    summary: EVENT_SUMMARIES[type],
    contentType: 'application/json',
    payload: ref('components', 'schemas', type),
    headers: topic.direction === 'out' ? ref('components', 'schemas', PUBLISHER_HEADERS) : undefined,
    bindings: { kafka: { key: { type: 'string', description: `${topic.key} of the event, as a string` }, bindingVersion: KAFKA_BINDING_VERSION } },
  };
}

function topicBinding(topic: string, partitions: number, compacted: boolean): JsonObject {
  return {
    topic,
    partitions,
    topicConfiguration: { 'cleanup.policy': [compacted ? 'compact' : 'delete'] },
    bindingVersion: KAFKA_BINDING_VERSION,
  };
}

/** JSON Schema draft-07 (the base of AsyncAPI's schema format) of what the topic accepts. */
function jsonSchemaOf(schema: z.ZodType): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' });
  return rest;
}

function ref(...path: string[]): Ref {
  return { $ref: `#/${path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` };
}
