/* Runs in a worker thread: solves assignment problems off the event loop. */
import { parentPort } from 'node:worker_threads';
import { optimalAssignment } from '@clearwork/matching-core';

parentPort?.on('message', (msg: { id: number; value: (number | null)[][] }) => {
  parentPort!.postMessage({ id: msg.id, result: optimalAssignment(msg.value) });
});
