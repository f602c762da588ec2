/**
 * A log worker thread: redacts and deflates the logs the main thread hands it, one at a time,
 * with its own redactor seeded from the bundle's pseudonym map, so several logs are redacted and
 * compressed at once on several cores. Messages (structured clone, in this process only):
 *   in:  job {job}, ack {bytes}, literals {values}, cancel {id}
 *   out: data {id, chunk, read}, done {id, result}, failed {id, error}
 * At most CREDIT bytes of output wait unacknowledged, so a worker that runs ahead of the archive
 * stops instead of filling memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { collectGarbage } from '../../core/collect-garbage.js';
import { Redactor } from '../redact/redactor.js';
import type { RedactorSeed } from '../redact/redactor.js';
import { runLogJob } from './log-job.js';
import type { LogJob } from './log-job.js';
import { describeJobError } from './log-lanes.js';
import type { LaneIn } from './log-lanes.js';

export const CREDIT = 2 * 1024 * 1024;

const port = parentPort;
if (port) {
  const redactor = new Redactor({ seed: (workerData as { seed: RedactorSeed }).seed });
  let credit = CREDIT;
  let wake: (() => void) | undefined;
  let current: { id: number; abort: AbortController } | undefined;
  const queue: LogJob[] = [];

  const waitForCredit = async () => {
    while (credit <= 0) await new Promise<void>((r) => (wake = r));
  };

  const runNext = async (): Promise<void> => {
    const job = queue.shift();
    if (!job || current) return;
    current = { id: job.id, abort: new AbortController() };
    try {
      const result = await runLogJob(
        job,
        redactor,
        async (chunk, read) => {
          // Deflate's chunks are slices of a larger buffer, and a cloned slice carries the whole
          // buffer with it: an exact copy is moved to the main thread instead (no second copy).
          const own = new Uint8Array(chunk.length);
          own.set(chunk);
          port.postMessage({ type: 'data', id: job.id, chunk: own, read }, [own.buffer]);
          credit -= chunk.length;
          await waitForCredit();
        },
        current.abort.signal,
      );
      port.postMessage({ type: 'done', id: job.id, result });
      // The buffers this log used die here (see collect-garbage.ts); the worker's heap is small.
      collectGarbage('major');
    } catch (e) {
      port.postMessage({ type: 'failed', id: job.id, error: describeJobError(e) });
    } finally {
      current = undefined;
      void runNext();
    }
  };

  port.on('message', (m: LaneIn) => {
    if (m.type === 'job') {
      queue.push(m.job);
      void runNext();
    } else if (m.type === 'ack') {
      credit += m.bytes;
      const w = wake;
      wake = undefined;
      w?.();
    } else if (m.type === 'literals') {
      redactor.addLiterals(m.values);
    } else if (m.type === 'cancel' && current?.id === m.id) {
      current.abort.abort();
      credit = CREDIT;
      wake?.();
    }
  });
}
