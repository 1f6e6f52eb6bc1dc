import type { GlobalOptions } from './global-options';

/** Where a command writes: results on `out`, progress, warnings and errors on `err`. One call is one line. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** One `--name` option: a value (`string`) or a bare flag (`boolean`). */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** What the value is, as shown in help: `--ttl <seconds>`. */
  readonly value?: string;
  readonly help: string;
  /** May be given more than once; the values are collected. */
  readonly multiple?: boolean;
  readonly short?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** A command's options and positional arguments as typed, before the command reads them. */
export interface ParsedLine {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

/** What a command runs with. */
export interface CommandContext {
  readonly globals: GlobalOptions;
  readonly io: Io;
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C: long commands stop cleanly, others give up with exit status 130. */
  readonly signal: AbortSignal;
}

/** One clearwork command: its help, its options, and what it does. */
export interface Command {
  readonly name: string;
  /** The arguments after the name, as help shows them: `<workerId> <taskId> [--json]`. */
  readonly synopsis: string;
  readonly summary: string;
  /** More lines of help: what the command does, step by step. */
  readonly details: readonly string[];
  readonly options: OptionSpecs;
  readonly positionals: { readonly min: number; readonly max: number };
  readonly examples: readonly string[];
  /** Returns the exit status; throws UsageError for a bad command line, CommandError when it fails. */
  run(line: ParsedLine, context: CommandContext): Promise<number>;
}
