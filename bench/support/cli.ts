/** One `--name value` option of a benchmark, with its default and what it means. */
export interface OptionSpec {
  readonly default: number;
  readonly help: string;
  readonly min?: number;
}

/** A benchmark's usage line, what it measures, and its numeric options. */
export interface CommandSpec<O extends Record<string, OptionSpec>> {
  readonly script: string;
  readonly summary: string;
  readonly options: O;
}

export type ParsedOptions<O extends Record<string, OptionSpec>> = { readonly [K in keyof O]: number };

function usage<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): string {
  const width = Math.max(...Object.keys(spec.options).map((k) => k.length)) + 10;
  const lines = Object.entries(spec.options).map(([name, o]) => `  ${`--${name} <n>`.padEnd(width)}${o.help} (default ${o.default})`);
  return [`usage: npx tsx ${spec.script} [options]`, '', spec.summary, '', 'options:', ...lines, `  ${'--help'.padEnd(width)}print this and exit`].join('\n');
}

/** Parses `argv`; prints usage and exits on --help (status 0) or on a bad argument (status 2). */
export function parseOptions<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, argv: readonly string[] = process.argv.slice(2)): ParsedOptions<O> {
  const values: Record<string, number> = Object.fromEntries(Object.entries(spec.options).map(([k, o]) => [k, o.default]));
  const fail = (message: string): never => {
    console.error(`${message}\n\n${usage(spec)}`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(usage(spec));
      process.exit(0);
    }
    const [flag, inline] = arg.split('=', 2);
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !(name in spec.options)) fail(`unknown argument ${arg}`);
    const raw = inline ?? argv[++i] ?? fail(`${flag} needs a number`);
    const value = Number(raw.replace(/_/g, ''));
    const min = spec.options[name].min ?? 0;
    if (!Number.isSafeInteger(value) || value < min) fail(`${flag} must be a whole number of at least ${min}, not ${raw}`);
    values[name] = value;
  }
  return values as ParsedOptions<O>;
}

/** The command that repeats this run, with every option spelled out. */
export function reproduceCommand<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, options: ParsedOptions<O>): string {
  return `npx tsx ${spec.script} ${Object.keys(spec.options).map((k) => `--${k} ${options[k]}`).join(' ')}`;
}
