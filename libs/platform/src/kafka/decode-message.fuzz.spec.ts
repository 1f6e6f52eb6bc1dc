/*
 * Hostile input for every topic's decoder: random bytes, random JSON, and valid events with one
 * field replaced by something nasty. The decoder must never throw, must refuse with a reason
 * (so the message can be dead-lettered), and what it accepts must be a clean, valid event.
 */
import { LIMITS, TOPIC_SCHEMAS, TOPICS, type TopicName } from '@clearwork/contracts';
import { aTaskPosted, aWorkerRegistered } from '@clearwork/testing';
import { nasty, withOneFieldReplaced } from '@clearwork/testing/hostile';
import fc from 'fast-check';
import { decodeMessage, MAX_MESSAGE_BYTES } from './decode-message';

const topics = Object.keys(TOPIC_SCHEMAS) as TopicName[];
const KINDS = ['invalid_json', 'invalid_event', 'too_large'];

/** A valid event of each topic that the factories build, to mutate one field at a time. */
const VALID: Partial<Record<TopicName, () => object>> = {
  [TOPICS.tasks]: () => aTaskPosted(),
  [TOPICS.workerEvents]: () => aWorkerRegistered(),
};

function expectRefusalOrClean(topic: TopicName, bytes: Buffer): void {
  const decoded = decodeMessage(TOPIC_SCHEMAS[topic], bytes);
  if (decoded.ok) {
    expect(TOPIC_SCHEMAS[topic].safeParse(decoded.event).success).toBe(true);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(decoded.event)).toBe(Object.prototype);
    // The documented limits hold for whatever gets through: no huge strings or lists.
    expect(longest(decoded.event)).toMatchObject({ text: expect.any(Number), list: expect.any(Number) });
    expect(longest(decoded.event).text).toBeLessThanOrEqual(LIMITS.longText);
    expect(longest(decoded.event).list).toBeLessThanOrEqual(LIMITS.listItems);
  } else {
    expect(KINDS).toContain(decoded.error.kind);
    expect(decoded.error.message.length).toBeGreaterThan(0);
    if (decoded.error.kind === 'invalid_event') expect(decoded.error.issues.length).toBeGreaterThan(0);
  }
}

function longest(value: unknown): { text: number; list: number } {
  if (typeof value === 'string') return { text: value.length, list: 0 };
  if (typeof value !== 'object' || value === null) return { text: 0, list: 0 };
  const parts = Object.values(value).map(longest);
  return {
    text: Math.max(0, ...parts.map((p) => p.text)),
    list: Math.max(Array.isArray(value) ? value.length : 0, ...parts.map((p) => p.list)),
  };
}

describe('decodeMessage under hostile input', () => {
  it.each(topics)('%s: random bytes never throw, and are refused with a reason', (topic) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2_048 }), (bytes) => expectRefusalOrClean(topic, Buffer.from(bytes))), { numRuns: 300 });
  });

  it.each(topics)('%s: random JSON never throws; what is accepted is a valid event', (topic) => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => expectRefusalOrClean(topic, Buffer.from(JSON.stringify(value) ?? 'null'))), { numRuns: 300 });
  });

  it.each(topics)('%s: a value over the size limit is refused unread as too_large', (topic) => {
    const decoded = decodeMessage(TOPIC_SCHEMAS[topic], Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20));
    expect(decoded).toMatchObject({ ok: false, error: { kind: 'too_large' } });
  });

  it.each(Object.keys(VALID) as TopicName[])('%s: a valid event with one field made hostile is refused or stays clean', (topic) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), nasty, (pick, value) => {
        const event = withOneFieldReplaced(VALID[topic]!(), pick, value);
        expectRefusalOrClean(topic, Buffer.from(JSON.stringify(event)));
      }),
      { numRuns: 500 },
    );
  });

  it('an unknown event type, extra type-confusing keys or a JSON prototype key are refused or stripped', () => {
    const base = JSON.parse(JSON.stringify(aTaskPosted())) as Record<string, unknown>;
    expectRefusalOrClean(TOPICS.tasks, Buffer.from(JSON.stringify({ ...base, type: 'TaskDeleted' })));
    expectRefusalOrClean(TOPICS.tasks, Buffer.from(JSON.stringify(base).replace('{', '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},')));
  });
});
