import { parentPort } from 'node:worker_threads';
import { checkCopyRun, type RunJob, type RunReply } from './run-check.js';

/**
 * A verification worker thread (verification/worker-pool.ts): checks the runs of
 * COPY lines it is given, one at a time, and answers with what it found.
 */
parentPort?.on('message', (job: RunJob) => {
  let reply: RunReply;
  try {
    reply = { id: job.id, run: checkCopyRun(job.chain, job.bytes, job.marks) };
  } catch (error) {
    reply = { id: job.id, error: (error as Error).message };
  }
  parentPort?.postMessage(reply);
});
