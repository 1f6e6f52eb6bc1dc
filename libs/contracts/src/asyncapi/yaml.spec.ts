import { toYaml } from './yaml';

describe('toYaml', () => {
  it('writes nested objects and arrays in block style, keys in insertion order', () => {
    const value = {
      name: 'gig.tasks.v1',
      partitions: 6,
      compacted: false,
      owner: null,
      config: { 'cleanup.policy': ['delete'] },
      messages: [{ $ref: '#/components/messages/TaskPosted' }, { name: 'TaskCancelled', tags: ['in', 'tasks'] }],
      matrix: [[1, 2], []],
    };
    expect(toYaml(value)).toBe(
      [
        'name: gig.tasks.v1',
        'partitions: 6',
        'compacted: false',
        'owner: null',
        'config:',
        '  cleanup.policy:',
        '    - delete',
        'messages:',
        '  - $ref: "#/components/messages/TaskPosted"',
        '  - name: TaskCancelled',
        '    tags:',
        '      - in',
        '      - tasks',
        'matrix:',
        '  - - 1',
        '    - 2',
        '  - []',
        '',
      ].join('\n'),
    );
  });

  it('quotes every string a YAML reader could take for something else', () => {
    const words = ['yes', 'No', 'on', 'null', 'true', '~', '3.0.0', '42', '', ' padded', 'trailing ', 'a: b', 'a #b', '#x', '-x', 'line\nbreak', 'é'];
    for (const word of words) expect(toYaml({ k: word })).toBe(`k: ${JSON.stringify(word)}\n`);
    expect(toYaml({ k: "Keyed by taskId, in order; a worker's (own) record." })).toBe("k: Keyed by taskId, in order; a worker's (own) record.\n");
    expect(toYaml({ '200': 'x', 'a b': 'v', $ref: 'z' })).toBe('"200": x\n"a b": v\n$ref: z\n');
  });

  it('writes empty collections inline and leaves undefined out, as JSON does', () => {
    expect(toYaml({ a: {}, b: [], c: undefined, d: { e: undefined } })).toBe('a: {}\nb: []\nd: {}\n');
    expect(toYaml([])).toBe('[]\n');
    expect(toYaml('plain')).toBe('plain\n');
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => toYaml({ n: Number.NaN })).toThrow('not a JSON number');
    expect(() => toYaml({ f: () => 1 })).toThrow('cannot write a value of type function');
  });
});
