import { TextLogger } from './text-logger';

describe('TextLogger', () => {
  it("writes Nest's console line, with a structured message's fields as key=value after it", () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
    try {
      const logger = new TextLogger({ colors: false });
      logger.log({ msg: 'task offered', taskId: 't-1', workerId: 'w-1' }, 'TaskLifecycle');
      logger.log('listening', 'dispatcher');
    } finally {
      spy.mockRestore();
    }
    expect(written[0]).toMatch(/ LOG \[TaskLifecycle\] task offered taskId=t-1 workerId=w-1\n$/);
    expect(written[1]).toMatch(/ LOG \[dispatcher\] listening\n$/);
  });
});
