import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { isLogMessage, logMessageText } from './log-record';

/** Nest's console output for people reading a terminal, with a structured message's fields written `key=value` after it. */
export class TextLogger extends ConsoleLogger {
  protected override stringifyMessage(message: unknown, logLevel: LogLevel): unknown {
    return super.stringifyMessage(isLogMessage(message) ? logMessageText(message) : message, logLevel);
  }
}
