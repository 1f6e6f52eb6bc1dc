import { localJwtSecret } from '../libs/platform/src/auth/local-token';
import { UsageError } from './cli-errors';
import type { OptionSpecs, ParsedLine } from './command';

/** The engine a command talks to, and the secret its tokens are signed with. */
export interface GlobalOptions {
  readonly dispatcherUrl: string;
  readonly scoringUrl: string;
  readonly auditUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly jwtSecret: string;
}

/** Each service's URL: its option, the environment variable that sets it, and the default. */
export const SERVICES = {
  dispatcher: { option: 'dispatcher-url', env: 'CLEARWORK_DISPATCHER_URL', fallback: 'http://127.0.0.1:3001', label: 'the dispatcher' },
  scoring: { option: 'scoring-url', env: 'CLEARWORK_SCORING_URL', fallback: 'http://127.0.0.1:3002', label: 'the scoring service' },
  audit: { option: 'audit-url', env: 'CLEARWORK_AUDIT_URL', fallback: 'http://127.0.0.1:3003', label: 'the audit service' },
} as const;
export type ServiceName = keyof typeof SERVICES;

const KAFKA = { option: 'kafka', env: 'CLEARWORK_KAFKA', fallback: '127.0.0.1:9092' } as const;

export const GLOBAL_OPTIONS: OptionSpecs = {
  'dispatcher-url': { type: 'string', value: 'url', help: `the dispatcher (default ${SERVICES.dispatcher.fallback}, or $${SERVICES.dispatcher.env})` },
  'scoring-url': { type: 'string', value: 'url', help: `the scoring service (default ${SERVICES.scoring.fallback}, or $${SERVICES.scoring.env})` },
  'audit-url': { type: 'string', value: 'url', help: `the audit service (default ${SERVICES.audit.fallback}, or $${SERVICES.audit.env})` },
  kafka: { type: 'string', value: 'host:port,...', help: `the Kafka brokers (default ${KAFKA.fallback}, or $${KAFKA.env})` },
  help: { type: 'boolean', short: 'h', help: 'print help and exit' },
};

/** The global options from the command line, else the environment, else the defaults; a bad one is a UsageError naming where it came from. */
export function resolveGlobals(values: ParsedLine['values'], env: NodeJS.ProcessEnv): GlobalOptions {
  const url = (service: ServiceName) => {
    const { option, env: variable, fallback } = SERVICES[service];
    const { raw, source } = pick(values[option], option, env[variable], variable, fallback);
    return serviceUrl(raw, source, fallback);
  };
  const { raw: brokers, source } = pick(values[KAFKA.option], KAFKA.option, env[KAFKA.env], KAFKA.env, KAFKA.fallback);
  const kafkaBrokers = brokers.split(',').map((b) => b.trim()).filter((b) => b !== '');
  if (kafkaBrokers.length === 0 || kafkaBrokers.some((b) => !/^[^:\s/]+:\d{1,5}$/.test(b))) {
    throw new UsageError(`${source} must list Kafka brokers as host:port, separated by commas (e.g. ${KAFKA.fallback}), not ${JSON.stringify(brokers)}`);
  }
  return { dispatcherUrl: url('dispatcher'), scoringUrl: url('scoring'), auditUrl: url('audit'), kafkaBrokers, jwtSecret: localJwtSecret(env) };
}

/** The option if given, else the environment variable if set, else the default; with where it came from, for messages. */
function pick(given: unknown, option: string, fromEnv: string | undefined, variable: string, fallback: string): { raw: string; source: string } {
  if (typeof given === 'string') return { raw: given, source: `--${option}` };
  if (fromEnv) return { raw: fromEnv, source: variable };
  return { raw: fallback, source: 'the default' };
}

function serviceUrl(raw: string, source: string, example: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UsageError(`${source} must be an http(s) URL such as ${example}, not ${JSON.stringify(raw)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`${source} must be an http(s) URL such as ${example}, not ${JSON.stringify(raw)}`);
  return parsed.toString().replace(/\/+$/, '');
}
