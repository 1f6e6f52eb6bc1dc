import { Logger, type LogLevel } from '@nestjs/common';
import { JsonLogger } from './json-logger';

const ALL: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/** A JsonLogger writing into an array, one parsed object per line. */
function aLogger(levels: LogLevel[] = ALL) {
  const raw: string[] = [];
  const logger = new JsonLogger({ service: 'dispatcher', levels, destination: { write: (line: string) => void raw.push(line) } });
  const lines = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, raw, lines };
}

describe('JsonLogger', () => {
  it('writes one JSON object per line with time, level, service, context and msg', () => {
    const { logger, raw, lines } = aLogger();
    logger.log('consuming gig.tasks.v1 as group clearwork.dispatcher', 'KafkaEventServer');
    expect(raw).toHaveLength(1);
    expect(raw[0].endsWith('\n')).toBe(true);
    expect(raw[0].trimEnd()).not.toContain('\n');
    const [line] = lines();
    expect(line).toEqual({
      time: expect.any(String),
      level: 'info',
      service: 'dispatcher',
      context: 'KafkaEventServer',
      msg: 'consuming gig.tasks.v1 as group clearwork.dispatcher',
    });
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
  });

  it("lifts a structured message's taskId, decisionId and workerId (and its other fields) to top-level keys", () => {
    const { logger, lines } = aLogger();
    logger.debug({ msg: 'task offered', taskId: 't-1', replica: 2, decisionId: 'd-1', workerId: 'w-1' }, 'TaskLifecycle');
    expect(lines()[0]).toMatchObject({ level: 'debug', context: 'TaskLifecycle', msg: 'task offered', taskId: 't-1', decisionId: 'd-1', workerId: 'w-1', replica: 2 });
  });

  it('never lets a field overwrite a standard key', () => {
    const { logger, lines } = aLogger();
    logger.warn({ msg: 'odd', service: 'other', level: 'none', time: 0, context: 'X', workerId: 'w-9' }, 'Ctx');
    expect(lines()[0]).toMatchObject({ service: 'dispatcher', level: 'warn', context: 'Ctx', msg: 'odd', workerId: 'w-9' });
    expect(typeof lines()[0].time).toBe('string');
  });

  it("maps Nest's levels to the names log tools know", () => {
    const { logger, lines } = aLogger();
    logger.fatal('f');
    logger.error('e');
    logger.warn('w');
    logger.log('l');
    logger.debug('d');
    logger.verbose('v');
    expect(lines().map((l) => `${l.msg}:${l.level}`)).toEqual(['f:fatal', 'e:error', 'w:warn', 'l:info', 'd:debug', 'v:trace']);
  });

  it('writes only the levels enabled (fatal always), and follows setLogLevels', () => {
    const { logger, lines } = aLogger(['error', 'warn', 'log']);
    logger.debug('hidden');
    logger.verbose('hidden');
    logger.log('shown');
    logger.fatal('shown too');
    logger.setLogLevels(['error']);
    logger.log('hidden now');
    logger.error('still shown');
    expect(lines().map((l) => l.msg)).toEqual(['shown', 'shown too', 'still shown']);
  });

  it("reads error()'s stack and context as Nest's Logger passes them, and an Error as a message", () => {
    const { logger, lines } = aLogger();
    const error = new Error('database down');
    logger.error('append failed', error.stack, 'LogAppender');
    logger.error('no stack', undefined, 'LogAppender');
    logger.error('stack without context', error.stack);
    logger.error(error);
    const [withStack, noStack, noContext, asError] = lines();
    expect(withStack).toMatchObject({ level: 'error', context: 'LogAppender', msg: 'append failed', stack: error.stack });
    expect(noStack).toEqual(expect.objectContaining({ context: 'LogAppender', msg: 'no stack' }));
    expect(noStack).not.toHaveProperty('stack');
    expect(noContext).toMatchObject({ msg: 'stack without context', stack: error.stack });
    expect(noContext).not.toHaveProperty('context');
    expect(asError).toMatchObject({ msg: 'database down', stack: error.stack });
  });

  it("is what Nest's Logger writes through once installed", () => {
    const { logger, lines } = aLogger();
    Logger.overrideLogger(logger);
    try {
      new Logger('CapacityReconciler').warn({ msg: 'capacity in use corrected from 3 to 2', workerId: 'w-4' });
    } finally {
      Logger.overrideLogger(false);
    }
    expect(lines()).toEqual([expect.objectContaining({ level: 'warn', context: 'CapacityReconciler', msg: 'capacity in use corrected from 3 to 2', workerId: 'w-4' })]);
  });
});
