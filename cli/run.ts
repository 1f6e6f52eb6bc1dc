import { CommandError, UsageError } from './cli-errors';
import type { Command, Io } from './command';
import { parseCommandLine, splitCommand } from './command-line';
import { COMMANDS } from './commands';
import { GLOBAL_OPTIONS, resolveGlobals } from './global-options';
import { commandHelp, overallHelp } from './help';

const names = () => COMMANDS.map((c) => c.name).join(', ');

/**
 * Runs one command line and returns its exit status: 0 done, 1 failed, 2 the command line was
 * wrong, 130 interrupted. Nothing here exits the process, so tests run it as a function.
 */
export async function run(argv: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env, signal: AbortSignal = new AbortController().signal): Promise<number> {
  try {
    const { command: name, rest } = splitCommand(argv, GLOBAL_OPTIONS);
    if (name === null || name === 'help') return help(name, rest, io);
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}: the commands are ${names()}`);
    const line = parseCommandLine(rest, { ...GLOBAL_OPTIONS, ...command.options }, command.name, command.positionals, command.synopsis);
    if (line.values.help) {
      commandHelp(command).forEach((l) => io.out(l));
      return 0;
    }
    return await command.run(line, { globals: resolveGlobals(line.values, env), io, env, signal });
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`clearwork: ${error.message}`);
      io.err(error.command ? `run "clearwork ${error.command} --help" to see its arguments and options` : 'run "clearwork help" to see the commands');
      return error.exitCode;
    }
    if (error instanceof CommandError) {
      const [first, ...next] = error.message.split('\n');
      io.err(`clearwork: ${first}`);
      next.forEach((l) => io.err(l));
      return error.exitCode;
    }
    io.err(`clearwork: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}

/** `clearwork`, `clearwork --help`, `clearwork help` and `clearwork help <command>`. */
function help(name: 'help' | null, rest: readonly string[], io: Io): number {
  const line = parseCommandLine(rest, GLOBAL_OPTIONS, 'help', { min: 0, max: 1 }, '[command]');
  const [topic] = line.positionals;
  if (name === null && !line.values.help) {
    throw new UsageError(`name a command: ${names()}`);
  }
  if (topic === undefined) {
    overallHelp(COMMANDS).forEach((l) => io.out(l));
    return 0;
  }
  const command: Command | undefined = COMMANDS.find((c) => c.name === topic);
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(topic)}: the commands are ${names()}`);
  commandHelp(command).forEach((l) => io.out(l));
  return 0;
}
