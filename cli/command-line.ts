import { parseArgs } from 'node:util';
import { UsageError } from './cli-errors';
import type { OptionSpecs, ParsedLine } from './command';

/**
 * Splits `argv` into the command name and the rest: the name is the first word that is neither
 * an option nor the value of a global option before it (`--kafka host:9092 simulate` works).
 */
export function splitCommand(argv: readonly string[], globals: OptionSpecs): { command: string | null; rest: string[] } {
  const { tokens } = parseArgs({ args: [...argv], options: parseArgsOptions(globals), strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind === 'positional' || t.kind === 'option-terminator');
  if (!first || first.kind !== 'positional') return { command: null, rest: [...argv] };
  return { command: first.value, rest: argv.filter((_, i) => i !== first.index) };
}

/**
 * Parses a command's arguments against its options (and the global ones): every problem is a
 * UsageError naming the option, never a guess. Lists given as `--skills a,b` or repeated are
 * flattened for `multiple` options.
 */
export function parseCommandLine(args: readonly string[], specs: OptionSpecs, command: string, positionals: { min: number; max: number }, synopsis: string): ParsedLine {
  const { tokens } = parseArgs({ args: [...args], options: parseArgsOptions(specs), strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean | string[] | undefined> = {};
  const words: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') words.push(token.value);
    if (token.kind !== 'option') continue;
    const spec = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined;
    if (!spec) throw new UsageError(`unknown option ${token.rawName} for ${command}`, command);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} is a flag and takes no value (got ${token.rawName}=${token.value})`, command);
      values[token.name] = true;
      continue;
    }
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) {
      throw new UsageError(`${token.rawName} needs a value: ${token.rawName} <${spec.value ?? 'value'}>`, command);
    }
    if (spec.multiple) {
      const list = token.value.split(',').map((v) => v.trim()).filter((v) => v !== '');
      values[token.name] = [...((values[token.name] as string[] | undefined) ?? []), ...list];
    } else if (values[token.name] !== undefined) {
      throw new UsageError(`--${token.name} was given twice: give it once`, command);
    } else values[token.name] = token.value;
  }
  if (values.help) return { values, positionals: words };
  if (words.length < positionals.min) throw new UsageError(`${command} needs more arguments: ${command} ${synopsis}`, command);
  if (words.length > positionals.max) {
    const extra = words.slice(positionals.max).join(' ');
    throw new UsageError(`${command} takes ${positionals.max === 0 ? 'no arguments' : `at most ${positionals.max} argument${positionals.max === 1 ? '' : 's'}`}, not also ${JSON.stringify(extra)}: ${command} ${synopsis}`, command);
  }
  return { values, positionals: words };
}

/** A number option's value, or `fallback` when absent; refuses anything else, naming the option. */
export function numberOption(
  values: ParsedLine['values'],
  name: string,
  rule: { fallback?: number; min?: number; max?: number; integer?: boolean; command: string },
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return rule.fallback;
  const text = String(raw).replace(/_/g, '');
  const value = text.trim() === '' ? Number.NaN : Number(text);
  const kind = rule.integer ? 'a whole number' : 'a number';
  const bounds = [rule.min !== undefined ? `at least ${rule.min}` : null, rule.max !== undefined ? `at most ${rule.max}` : null].filter(Boolean).join(' and ');
  const wanted = `--${name} takes ${kind}${bounds ? ` of ${bounds}` : ''}, not ${JSON.stringify(String(raw))}`;
  if (!Number.isFinite(value) || (rule.integer && !Number.isSafeInteger(value))) throw new UsageError(wanted, rule.command);
  if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) throw new UsageError(wanted, rule.command);
  return value;
}

/** A string option's value, when given. */
export function stringOption(values: ParsedLine['values'], name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

/** A list option's values, when given. */
export function listOption(values: ParsedLine['values'], name: string): string[] | undefined {
  const raw = values[name];
  return Array.isArray(raw) ? raw : undefined;
}

function parseArgsOptions(specs: OptionSpecs) {
  return Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [name, { type: s.type, ...(s.multiple ? { multiple: true } : {}), ...(s.short ? { short: s.short } : {}) }]),
  );
}
