import { UsageError } from '../cli-errors';
import { parseSimulateArgs, progressLine } from './simulate';

const parse = (values: Record<string, string>, env: NodeJS.ProcessEnv = {}) => parseSimulateArgs({ values, positionals: [] }, env);

describe('simulate options', () => {
  it('default to a small workforce until Ctrl-C, answering the engine of the default deployment', () => {
    expect(parse({})).toEqual({ workers: 50, rate: 2, minutes: undefined, seed: 1, deployment: 'clearwork', everySeconds: 5 });
    expect(parse({}, { KAFKA_GROUP_PREFIX: 'staging' }).deployment).toBe('staging');
  });

  it('take fractional rates and minutes', () => {
    expect(parse({ workers: '500', rate: '0.5', minutes: '1.5', deployment: 'e2e' })).toMatchObject({ workers: 500, rate: 0.5, minutes: 1.5, deployment: 'e2e' });
  });

  it.each([
    [{ workers: '0' }, '--workers takes a whole number of at least 1 and at most 1000000, not "0"'],
    [{ workers: '2.5' }, '--workers takes a whole number of at least 1 and at most 1000000, not "2.5"'],
    [{ rate: 'fast' }, '--rate takes a number of at least 0.01 and at most 100000, not "fast"'],
    [{ minutes: '-1' }, '--minutes takes a number of at least 0.01, not "-1"'],
  ])('refuse %j, naming the option', (values, message) => {
    expect(() => parse(values)).toThrow(new UsageError(message));
  });
});

describe('the progress line', () => {
  it('counts tasks, the offers the simulated workers saw and how they answered, and outcomes', () => {
    const line = progressLine({
      elapsedMs: 15_200,
      posted: 30,
      answered: 29,
      waited: 2,
      offerEvents: { OfferMade: 33, TaskAssigned: 24, OfferExpired: 3 },
      activity: { accepted: 26, declined: 3, ignored: 4, heartbeats: 50, eventsSent: 200, sendErrors: 0 },
    });
    expect(line).toBe('[   15 s] tasks posted 30, answered 29 (waiting 2); offers seen 33: accepted 26, declined 3, ignored 4; assigned 24, expired 3, unassignable 0');
  });

  it('shows send errors when there are any', () => {
    const line = progressLine({ elapsedMs: 0, posted: 0, answered: 0, waited: 0, offerEvents: {}, activity: { accepted: 0, declined: 0, ignored: 0, heartbeats: 0, eventsSent: 0, sendErrors: 4 } });
    expect(line).toMatch(/unassignable 0; send errors 4$/);
  });
});
