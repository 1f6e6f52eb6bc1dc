import { Logger } from '@nestjs/common';
import { logLevel } from 'kafkajs';
import { JsonLogger } from './json-logger';
import { kafkaLogCreator } from './kafka-log';

describe('kafkaLogCreator', () => {
  it("writes kafkajs's entries through the service's logger, at their level, with their plain details as fields", () => {
    const raw: string[] = [];
    Logger.overrideLogger(new JsonLogger({ service: 'scoring', levels: ['error', 'warn', 'log'], destination: { write: (line: string) => void raw.push(line) } }));
    try {
      const write = kafkaLogCreator(logLevel.WARN);
      const log = { timestamp: '2026-01-01T00:00:00.000Z', logger: 'kafkajs' };
      write({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { ...log, message: 'Connection error: ECONNREFUSED', broker: '127.0.0.1:9092', retryCount: 2, cause: { deep: true } } });
      write({ namespace: 'ConsumerGroup', level: logLevel.INFO, label: 'INFO', log: { ...log, message: 'Consumer has joined the group', groupId: 'clearwork.scoring' } });
    } finally {
      Logger.overrideLogger(false);
    }
    const lines = raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 'error', service: 'scoring', context: 'kafkajs', msg: 'Connection error: ECONNREFUSED', namespace: 'Connection', broker: '127.0.0.1:9092', retryCount: 2 });
    expect(lines[0]).not.toHaveProperty('cause');
    expect(lines[0]).not.toHaveProperty('logger');
    expect(lines[1]).toMatchObject({ level: 'info', context: 'kafkajs', msg: 'Consumer has joined the group', groupId: 'clearwork.scoring' });
  });
});
