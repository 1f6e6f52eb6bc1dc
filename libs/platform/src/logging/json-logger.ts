import type { LoggerService, LogLevel } from '@nestjs/common';
import pino, { type DestinationStream, type Level, type Logger as Pino } from 'pino';
import { logRecords } from './log-record';

/** Nest's levels as JSON lines name them (pino's names, which log tools know). */
export const JSON_LEVELS: Readonly<Record<LogLevel, Level>> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

export interface JsonLoggerOptions {
  /** Written on every line as `service`. */
  readonly service: string;
  /** Levels written; fatal always is. */
  readonly levels: readonly LogLevel[];
  /** Where lines go; standard output, written synchronously, unless given. */
  readonly destination?: DestinationStream;
}

/**
 * Nest's logger as one JSON object per line, for log collectors: `time` (ISO 8601), `level`,
 * `service`, `context` (the class that logged), `msg`, an error's `stack`, and the fields of a
 * structured message (`LogMessage`: `taskId`, `decisionId`, `workerId` and any others) as
 * top-level keys.
 */
export class JsonLogger implements LoggerService {
  private readonly out: Pino;
  private enabled: ReadonlySet<LogLevel>;

  constructor(options: JsonLoggerOptions) {
    this.enabled = new Set(options.levels);
    this.out = pino(
      {
        level: 'trace', // filtered here, by Nest's levels
        base: { service: options.service },
        messageKey: 'msg',
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      options.destination ?? pino.destination({ dest: 1, sync: true }),
    );
  }

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('log', [message, ...optionalParams]);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', [message, ...optionalParams]);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', [message, ...optionalParams]);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', [message, ...optionalParams]);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('verbose', [message, ...optionalParams]);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', [message, ...optionalParams]);
  }

  setLogLevels(levels: LogLevel[]): void {
    this.enabled = new Set(levels);
  }

  private write(level: LogLevel, args: unknown[]): void {
    if (level !== 'fatal' && !this.enabled.has(level)) return;
    for (const { msg, context, stack, fields } of logRecords(level, args)) {
      this.out[JSON_LEVELS[level]]({ ...(context ? { context } : {}), ...fields, ...(stack ? { stack } : {}) }, msg);
    }
  }
}
