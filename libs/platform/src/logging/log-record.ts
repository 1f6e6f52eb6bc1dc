import { inspect } from 'node:util';
import type { LogLevel } from '@nestjs/common';

/**
 * A log message with fields, which Nest's Logger passes through as it is:
 * `this.log.debug({ msg: 'task offered', taskId, decisionId, workerId })`. Written as JSON, each
 * field is a top-level key beside the message; as text, `key=value` after it.
 */
export interface LogMessage {
  readonly msg: string;
  readonly taskId?: string;
  readonly decisionId?: string;
  readonly workerId?: string;
  readonly [field: string]: unknown;
}

/** One line to write: the message, the class that wrote it, an error's stack, and fields. */
export interface LogRecord {
  readonly msg: string;
  readonly context?: string;
  readonly stack?: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Keys every JSON line has; a log call's field of the same name is left out rather than overwrite one. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['time', 'level', 'service', 'context', 'msg']);

/**
 * What one call of a Nest `LoggerService` method means, read the way Nest's own ConsoleLogger
 * reads it: the last string argument is the context (a `Logger`'s class name), `error` may carry
 * a stack before it, and every other argument is a message of its own line.
 */
export function logRecords(level: LogLevel, args: readonly unknown[]): LogRecord[] {
  const { messages, context, stack } = level === 'error' ? withStack(args) : withContext(args);
  return messages.map((message, i) => toRecord(message, context, i === 0 ? stack : undefined));
}

/** Whether `message` is a plain object: a `LogMessage`, or any other bag of fields. */
export function isLogMessage(message: unknown): message is LogMessage {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return false;
  const prototype = Object.getPrototypeOf(message);
  return prototype === Object.prototype || prototype === null;
}

/** A structured message as one line of text: the message, then each field as `key=value`. */
export function logMessageText(message: LogMessage): string {
  const { msg, ...fields } = message;
  const pairs = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : inspect(value, { breakLength: Infinity })}`);
  return pairs.length > 0 ? `${String(msg ?? '')} ${pairs.join(' ')}` : String(msg ?? '');
}

function withContext(args: readonly unknown[]): { messages: unknown[]; context?: string; stack?: string } {
  const last = args.at(-1);
  if (args.length <= 1 || typeof last !== 'string') return { messages: [...args] };
  return { messages: args.slice(0, -1), context: last };
}

function withStack(args: readonly unknown[]): { messages: unknown[]; context?: string; stack?: string } {
  if (args.length === 2 && isStack(args[1])) return { messages: [args[0]], stack: args[1] as string };
  const { messages, context } = withContext(args);
  const last = messages.at(-1);
  if (messages.length <= 1 || (typeof last !== 'string' && last !== undefined)) return { messages, context };
  return { messages: messages.slice(0, -1), context, stack: last };
}

function isStack(value: unknown): boolean {
  return typeof value === 'string' && /^(.)+\n\s+at .+:\d+:\d+/.test(value);
}

function toRecord(message: unknown, context: string | undefined, stack: string | undefined): LogRecord {
  if (message instanceof Error) return { msg: message.message, context, stack: stack ?? message.stack, fields: {} };
  if (isLogMessage(message)) {
    const { msg, message: text, ...rest } = message as LogMessage & { message?: unknown };
    const fields = Object.fromEntries(Object.entries(rest).filter(([key, value]) => !RESERVED_KEYS.has(key) && value !== undefined));
    return { msg: String(msg ?? text ?? ''), context, stack, fields };
  }
  return { msg: typeof message === 'string' ? message : inspect(message, { breakLength: Infinity }), context, stack, fields: {} };
}
