/**
 * The log-evidence worker thread: reads a logs folder into evidence (log-evidence.ts) off the
 * main thread, so the parse of the newest logs runs beside the other collectors on another core.
 *   in (workerData): {dir, home, budget}
 *   out: {evidence} or {error}
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readLogEvidence } from './log-evidence.js';

const port = parentPort;
if (port) {
  const { dir, home, budget } = workerData as { dir: string; home: string; budget: number };
  readLogEvidence(dir, home, budget).then(
    (evidence) => port.postMessage({ evidence }),
    (e: unknown) => port.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  );
}
