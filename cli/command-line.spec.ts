import { UsageError } from './cli-errors';
import type { OptionSpecs } from './command';
import { numberOption, parseCommandLine, splitCommand } from './command-line';
import { GLOBAL_OPTIONS } from './global-options';

const SPECS: OptionSpecs = {
  ...GLOBAL_OPTIONS,
  ttl: { type: 'string', value: 'seconds', help: '' },
  skills: { type: 'string', multiple: true, help: '' },
  json: { type: 'boolean', help: '' },
};
const parse = (args: string[], positionals = { min: 0, max: 2 }) => parseCommandLine(args, SPECS, 'demo', positionals, '<a> [b]');

function usageError(f: () => unknown): UsageError {
  try {
    f();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('finding the command', () => {
  it('takes the first word, after any global options and their values', () => {
    expect(splitCommand(['--kafka', 'broker:9092', 'simulate', '--rate', '5'], GLOBAL_OPTIONS)).toEqual({ command: 'simulate', rest: ['--kafka', 'broker:9092', '--rate', '5'] });
    expect(splitCommand(['explain', 'w-1', 't-1'], GLOBAL_OPTIONS)).toEqual({ command: 'explain', rest: ['w-1', 't-1'] });
  });

  it('finds none in options alone', () => {
    expect(splitCommand(['--help'], GLOBAL_OPTIONS)).toEqual({ command: null, rest: ['--help'] });
    expect(splitCommand([], GLOBAL_OPTIONS).command).toBeNull();
  });
});

describe('parsing a command line', () => {
  it('reads values, flags, positionals, and lists given with commas or repeated', () => {
    const line = parse(['a', '--ttl', '60', '--skills', 'x,y', '--skills=z', '--json', 'b']);
    expect(line).toEqual({ values: { ttl: '60', skills: ['x', 'y', 'z'], json: true }, positionals: ['a', 'b'] });
  });

  it('takes a negative number as a value', () => {
    expect(parse(['a', '--ttl', '-5']).values.ttl).toBe('-5');
  });

  it.each([
    [['a', '--colour', 'red'], 'unknown option --colour for demo'],
    [['a', '-x'], 'unknown option -x for demo'],
    [['a', '--ttl'], '--ttl needs a value: --ttl <seconds>'],
    [['a', '--ttl', '--json'], '--ttl needs a value: --ttl <seconds>'],
    [['a', '--json=yes'], '--json is a flag and takes no value (got --json=yes)'],
    [['a', '--ttl', '1', '--ttl', '2'], '--ttl was given twice: give it once'],
    [[], 'demo needs more arguments: demo <a> [b]'],
    [['a', 'b', 'c'], 'demo takes at most 2 arguments, not also "c": demo <a> [b]'],
  ])('refuses %j, naming what is wrong', (args, message) => {
    const error = usageError(() => parse(args, { min: 1, max: 2 }));
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(2);
    expect(error.command).toBe('demo');
  });

  it('lets --help through whatever the positionals', () => {
    expect(parse(['--help'], { min: 2, max: 2 }).values.help).toBe(true);
    expect(parse(['-h'], { min: 2, max: 2 }).values.help).toBe(true);
  });
});

describe('number options', () => {
  const values = { n: '12', frac: '0.5', words: 'many', big: '1_000', empty: '' };
  const rule = { command: 'demo' };

  it('parses numbers (underscores allowed) and falls back when absent', () => {
    expect(numberOption(values, 'n', { ...rule, integer: true, min: 1 })).toBe(12);
    expect(numberOption(values, 'frac', { ...rule, min: 0 })).toBe(0.5);
    expect(numberOption(values, 'big', rule)).toBe(1000);
    expect(numberOption(values, 'absent', { ...rule, fallback: 7 })).toBe(7);
  });

  it.each([
    ['words', { integer: true }, '--words takes a whole number, not "many"'],
    ['empty', {}, '--empty takes a number, not ""'],
    ['frac', { integer: true, min: 1 }, '--frac takes a whole number of at least 1, not "0.5"'],
    ['n', { min: 0, max: 9 }, '--n takes a number of at least 0 and at most 9, not "12"'],
  ])('refuses --%s, naming the option', (name, extra, message) => {
    expect(usageError(() => numberOption(values, name, { ...rule, ...extra })).message).toBe(message);
  });
});
