import { Logger } from '@nestjs/common';
import { logLevel, type logCreator } from 'kafkajs';

/**
 * Sends kafkajs's own log entries (its retries, rebalances, broker errors) through the
 * service's logger, so they come out in the same format as every other line, with kafkajs's
 * namespace and plain details (broker, group, retry count…) as fields.
 */
export const kafkaLogCreator: logCreator = () => {
  const log = new Logger('kafkajs');
  return ({ namespace, level, log: entry }) => {
    const { message, timestamp: _timestamp, logger: _logger, ...details } = entry;
    const fields = Object.fromEntries(Object.entries(details).filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value)));
    const line = { msg: String(message), namespace, ...fields };
    if (level === logLevel.ERROR) log.error(line);
    else if (level === logLevel.WARN) log.warn(line);
    else if (level === logLevel.INFO) log.log(line);
    else if (level === logLevel.DEBUG) log.debug(line);
  };
};
