import type { LoggerService, LogLevel } from '@nestjs/common';
import type { LogFormat } from '../config/load-config';
import { JsonLogger } from './json-logger';
import { TextLogger } from './text-logger';

/** The service's logger: JSON lines for collectors, or Nest's console text for a terminal (see `LOG_FORMAT`). */
export function createLogger(options: { service: string; format: LogFormat; levels: readonly LogLevel[] }): LoggerService {
  return options.format === 'json'
    ? new JsonLogger({ service: options.service, levels: options.levels })
    : new TextLogger({ logLevels: [...options.levels] });
}
