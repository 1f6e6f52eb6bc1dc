import { z } from 'zod';
import { BaseConfig, ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('applies defaults for a bare environment', () => {
    const config = loadConfig(BaseConfig, {});
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.KAFKA_FROM_BEGINNING).toBe(true);
  });

  it('writes logs as text by default, as JSON in production, and as LOG_FORMAT says when set', () => {
    expect(loadConfig(BaseConfig, {}).LOG_FORMAT).toBe('text');
    expect(loadConfig(BaseConfig, { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-0123' }).LOG_FORMAT).toBe('json');
    expect(loadConfig(BaseConfig, { LOG_FORMAT: 'json' }).LOG_FORMAT).toBe('json');
    expect(loadConfig(BaseConfig, { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-0123', LOG_FORMAT: 'text' }).LOG_FORMAT).toBe('text');
    expect(() => loadConfig(BaseConfig, { LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });

  it('lists every problem at once', () => {
    const schema = BaseConfig.extend({ HTTP_PORT: z.coerce.number().int().min(1).max(65535) });
    let error: unknown;
    try {
      loadConfig(schema, { KAFKA_BROKERS: 'nohostport', DATABASE_URL: 'mysql://x', HTTP_PORT: 'abc', KAFKA_FROM_BEGINNING: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['KAFKA_BROKERS', 'DATABASE_URL', 'HTTP_PORT', 'KAFKA_FROM_BEGINNING']) {
      expect(problems).toContain(name);
    }
  });
});
