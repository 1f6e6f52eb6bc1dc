import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/**
 * Crashing and restarting the real servers, for the fault suites. Each action runs a shell
 * command; the defaults work on a machine set up as the README says (root, the Debian cluster of
 * PostgreSQL, redis-server, and the broker that scripts/kafka.sh started). Elsewhere set the
 * variable named in the error. These act on the whole server, so the suites run in band.
 */
const ACTIONS = {
  killKafka: { env: 'E2E_KAFKA_KILL', command: () => `KAFKA_STATE_DIR=${(brokerHome = localBrokerHome())} bash ${ROOT}/scripts/kafka.sh kill` },
  startKafka: { env: 'E2E_KAFKA_START', command: () => `KAFKA_STATE_DIR=${brokerHome ?? localBrokerHome()} bash ${ROOT}/scripts/kafka.sh start` },
  restartPostgres: {
    env: 'E2E_PG_RESTART',
    command: () => {
      const versions = readdirSync('/etc/postgresql', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
      const version = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
      if (!version) throw new Error('no cluster under /etc/postgresql');
      return `pg_ctlcluster --skip-systemctl-redirect ${version} main restart --mode fast`;
    },
  },
  // No persistence, as scripts/infra.sh starts it: a restart is also a flush.
  restartRedis: {
    env: 'E2E_REDIS_RESTART',
    command: () => 'redis-cli -h 127.0.0.1 -p 6379 shutdown nosave; redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  },
} as const;

export type ServerAction = keyof typeof ACTIONS;

/** The state directory of the broker killed last, so the same one is started again. */
let brokerHome: string | undefined;

/**
 * The state directory of the scripts/kafka.sh broker running on this machine: this checkout's,
 * or another's (a clone of the repository run beside the checkout that started the broker).
 * Read from the JVM's command line, which ends with `kafka.Kafka <state dir>/server.properties`.
 */
function localBrokerHome(): string {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    const at = args.indexOf('kafka.Kafka');
    if (at >= 0 && args[at + 1]?.endsWith('/server.properties')) return dirname(args[at + 1]);
  }
  throw new Error('no broker started by scripts/kafka.sh is running on this machine (a broker in Docker or elsewhere cannot be killed from here)');
}

/** Runs one action and returns how long it took in ms; fails saying which variable to set when it cannot. */
export async function serverAction(action: ServerAction): Promise<number> {
  const { env, command } = ACTIONS[action];
  const started = Date.now();
  let text: string;
  try {
    text = process.env[env] ?? command();
  } catch (error) {
    throw new Error(`${action}: ${(error as Error).message}; set ${env} to a shell command that does it`);
  }
  try {
    await run('bash', ['-c', text], { cwd: ROOT, timeout: 120_000 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${action} failed: \`${text}\`: ${(e.stderr || e.message).trim().slice(-500)}\nSet ${env} to a shell command that does it on this machine.`);
  }
  return Date.now() - started;
}
