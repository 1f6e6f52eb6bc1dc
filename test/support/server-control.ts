import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
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
  killKafka: { env: 'E2E_KAFKA_KILL', command: () => `bash ${ROOT}/scripts/kafka.sh kill` },
  startKafka: { env: 'E2E_KAFKA_START', command: () => `bash ${ROOT}/scripts/kafka.sh start` },
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
