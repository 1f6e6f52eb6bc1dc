import { Client } from 'pg';
import { parseOptions, reproduceCommand, type CommandSpec, type OptionSpec, type ParsedOptions } from './cli';
import { describeEnvironment, PG_ADMIN_URL, printEnvironment, type Environment } from './environment';

const KEEP_ONE = 'keep one with npx tsx bench/throughput.ts --skip-baseline 1 --keep-database 1 (it prints its name)';

/**
 * The command line of a benchmark that reads a database `bench/throughput.ts --keep-database 1`
 * kept: its name first, then the numeric options. Prints the environment and the command.
 */
export async function keptDatabaseCommand<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): Promise<{ database: string; options: ParsedOptions<O>; environment: Environment }> {
  const [database, ...rest] = process.argv.slice(2);
  if (!database || database.startsWith('-')) {
    console.error(`usage: npx tsx ${spec.script} [options]\n\n${spec.summary}\n\nFirst ${KEEP_ONE}.`);
    process.exit(2);
  }
  const options = parseOptions(spec, rest);
  const environment = await describeEnvironment(reproduceCommand(spec, options).replace('<database>', database));
  printEnvironment(environment);
  return { database, options, environment };
}

/** A client of the kept database; says how to keep one when it cannot be opened. */
export async function openKeptDatabase(database: string): Promise<Client> {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  const db = new Client({ connectionString: url.toString() });
  await db.connect().catch((error: Error) => {
    throw new Error(`cannot open database ${database} (${error.message}): ${KEEP_ONE}`);
  });
  return db;
}
