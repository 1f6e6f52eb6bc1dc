import type { Command, OptionSpecs } from './command';
import { GLOBAL_OPTIONS } from './global-options';

const INDENT = '  ';

function optionLines(specs: OptionSpecs): string[] {
  const rows = Object.entries(specs).map(([name, s]): [string, string] => [`${s.short ? `-${s.short}, ` : ''}--${name}${s.type === 'string' ? ` <${s.value ?? 'value'}>` : ''}`, s.help]);
  return table(rows);
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `${INDENT}${left.padEnd(width)}${right}`);
}

/** `clearwork help`: every command in a line, the global options, and where the secret comes from. */
export function overallHelp(commands: readonly Command[]): string[] {
  return [
    'usage: clearwork <command> [arguments] [options]',
    `${INDENT}(from the repository: npm run clearwork -- <command> ..., or npx tsx cli/clearwork.ts <command> ...)`,
    '',
    'commands:',
    ...[...commands.map((c) => [`${c.name} ${c.synopsis}`.trim(), c.summary]), ['help [command]', 'this, or one command\'s options and examples']].flatMap(([usage, summary]) => [
      `${INDENT}${usage}`,
      `${INDENT.repeat(3)}${summary}`,
    ]),
    '',
    'global options (every command):',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Tokens are signed with $JWT_SECRET, or the development secret the services use when it is unset.',
    'Exit status: 0 done, 1 failed (the message says what to do next), 2 the command line was wrong.',
  ];
}

/** `clearwork <command> --help`: usage, what it does, its options, the global ones, examples. */
export function commandHelp(command: Command): string[] {
  return [
    `usage: clearwork ${command.name} ${command.synopsis}`.trimEnd(),
    '',
    command.summary,
    ...(command.details.length > 0 ? ['', ...command.details] : []),
    ...(Object.keys(command.options).length > 0 ? ['', 'options:', ...optionLines(command.options)] : []),
    '',
    'global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'examples:',
    ...command.examples.map((e) => `${INDENT}${e}`),
  ];
}
