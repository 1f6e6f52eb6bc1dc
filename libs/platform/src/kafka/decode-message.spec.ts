import { TaskEvent } from '@clearwork/contracts';
import { aTaskPosted } from '@clearwork/testing';
import { decodeMessage, MAX_MESSAGE_BYTES } from './decode-message';

const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('decodeMessage', () => {
  it('accepts a valid event', () => {
    const event = aTaskPosted();
    expect(decodeMessage(TaskEvent, bytes(event))).toEqual({ ok: true, event });
  });

  it.each([
    ['an empty value', null, 'invalid_json'],
    ['broken JSON', bytes('{"eventId":'), 'invalid_json'],
    ['JSON that is not an event', bytes([1, 2, 3]), 'invalid_event'],
    ['an oversized value', Buffer.alloc(MAX_MESSAGE_BYTES + 1, 32), 'too_large'],
  ])('refuses %s with a reason', (_label, value, kind) => {
    const result = decodeMessage(TaskEvent, value);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.kind).toBe(kind);
      expect(result.error.message.length).toBeGreaterThan(0);
    }
  });

  it('names the field at fault', () => {
    const result = decodeMessage(TaskEvent, bytes(aTaskPosted({ priority: 99 })));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.issues.map((i) => i.path)).toContain('data.priority');
  });

  it('does not let __proto__ keys pollute objects', () => {
    const raw = JSON.stringify(aTaskPosted()).replace('"data":{', '"data":{"__proto__":{"polluted":true},');
    const result = decodeMessage(TaskEvent, bytes(raw));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (result.ok) expect((result.event.data as Record<string, unknown>).polluted).toBeUndefined();
  });
});
