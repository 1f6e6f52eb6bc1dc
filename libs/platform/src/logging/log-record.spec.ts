import { logMessageText, logRecords } from './log-record';

describe('logRecords', () => {
  it('takes the last string argument as the context and every other one as a message of its own line', () => {
    expect(logRecords('log', ['one', { msg: 'two', taskId: 't-1' }, 'Ctx'])).toEqual([
      { msg: 'one', context: 'Ctx', fields: {} },
      { msg: 'two', context: 'Ctx', fields: { taskId: 't-1' } },
    ]);
    expect(logRecords('log', ['alone'])).toEqual([{ msg: 'alone', fields: {} }]);
  });

  it('writes a message that is neither text nor fields as Node prints it', () => {
    expect(logRecords('log', [[1, 2], 'Ctx'])[0].msg).toBe('[ 1, 2 ]');
  });

  it("reads a structured message's `message` when it has no `msg`, and leaves out undefined fields", () => {
    expect(logRecords('warn', [{ message: 'from a library', workerId: undefined, broker: 'b:9092' }])).toEqual([{ msg: 'from a library', fields: { broker: 'b:9092' } }]);
  });
});

describe('logMessageText', () => {
  it('writes the fields after the message as key=value', () => {
    expect(logMessageText({ msg: 'task offered', taskId: 't-1', replica: 2, workerId: 'w-1', skipped: undefined })).toBe('task offered taskId=t-1 replica=2 workerId=w-1');
    expect(logMessageText({ msg: 'plain' })).toBe('plain');
  });
});
