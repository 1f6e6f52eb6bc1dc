import type { Command } from '../command';
import { explain } from './explain';
import { mintToken } from './mint-token';
import { postTask } from './post-task';
import { simulateCommand } from './simulate';
import { verifyLog } from './verify-log';

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [postTask, explain, verifyLog, mintToken, simulateCommand];
