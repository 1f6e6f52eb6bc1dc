import { NotFoundException } from '@nestjs/common';
import type { EventPublisher } from '@clearwork/platform';
import type { DataSource } from 'typeorm';
import { loadDispatcherConfig } from '../config';
import type { TaskStore } from '../tasks/task-store';
import { TasksController } from './tasks.controller';

describe('TasksController', () => {
  const unknownTask = async (retentionDays: string) => {
    const store = { history: async () => undefined } as unknown as TaskStore;
    const controller = new TasksController({} as EventPublisher, { manager: {} } as DataSource, store, loadDispatcherConfig({ DISPATCHER_TASK_RETENTION_DAYS: retentionDays }));
    const error = await controller.get('t:1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundException);
    return (error as NotFoundException).message;
  };

  it('says of an unknown task that ended tasks are deleted after the retention, and where their decisions stay', async () => {
    expect(await unknownTask('30')).toBe(
      'task t:1 is unknown: it may not have been consumed yet, or it ended more than 30 days ago and was deleted here (its decisions stay in the audit log: the audit service\'s GET /v1/decisions?taskId=t%3A1)',
    );
  });

  it('says only that it may not have been consumed yet when tasks are kept for ever', async () => {
    expect(await unknownTask('0')).toBe('task t:1 is unknown: it may not have been consumed yet');
  });
});
