import { Uuid } from '@clearwork/contracts';
import { timeOfId, timeOrderedId } from './time-ordered-id';

describe('timeOrderedId', () => {
  it('is a version 7 UUID (RFC 9562) that the contracts accept', () => {
    for (let i = 0; i < 1_000; i++) {
      const id = timeOrderedId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Uuid.safeParse(id).success).toBe(true);
    }
  });

  it('carries the millisecond it was made in', () => {
    const at = Date.parse('2026-12-06T18:00:00.123Z');
    expect(timeOfId(timeOrderedId(at))).toBe(at);
    expect(timeOfId(timeOrderedId(at + 0.9))).toBe(at);
    expect(timeOfId(timeOrderedId(0))).toBe(0);
    expect(timeOfId(timeOrderedId(2 ** 48 - 1))).toBe(2 ** 48 - 1);
  });

  it('sorts ids of later milliseconds after earlier ones, as text', () => {
    const times = [0, 1, 255, 256, 4_095, 4_096, 2 ** 32 - 1, 2 ** 32, Date.parse('2026-12-06T18:00:00Z'), Date.parse('2026-12-06T18:00:00.001Z'), 2 ** 48 - 1];
    const ids = times.map((t) => timeOrderedId(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it('does not repeat within a millisecond', () => {
    const at = Date.now();
    const ids = new Set(Array.from({ length: 100_000 }, () => timeOrderedId(at)));
    expect(ids.size).toBe(100_000);
  });
});
