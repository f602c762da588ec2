/**
 * The main thread's side of the log workers: a few lanes (one worker thread each; on the main
 * thread when no worker script is built) take the planned logs in order, and each log's deflated
 * bytes flow into its own DeflatedEntry, which the archive takes when that log's turn comes.
 *
 * Memory stays flat: a log waiting for its turn holds at most its entry's buffer plus the
 * worker's unacknowledged CREDIT; the worker then waits.
 *
 * Values one lane learns are taught to the others as soon as its log is done. A value learned
 * after a log began may still sit in that log (or in one another lane was writing at the time):
 * `lateValues()` says which values each log must be scanned for once the archive is finished.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { builtWorkerScript } from '../../core/worker-script.js';
import { Redactor } from '../redact/redactor.js';
import type { RedactorSeed } from '../redact/redactor.js';
import { ResidualSecretError } from '../redact/stream.js';
import { runLogJob } from './log-job.js';
import type { LogJob, LogJobResult } from './log-job.js';
import { DeflatedEntry } from './zip.js';

export type LaneIn =
  | { type: 'job'; job: LogJob }
  | { type: 'ack'; bytes: number }
  | { type: 'literals'; values: [string, string][] }
  | { type: 'cancel'; id: number };

type LaneOut =
  | { type: 'data'; id: number; chunk: Uint8Array; read: number }
  | { type: 'done'; id: number; result: LogJobResult }
  | { type: 'failed'; id: number; error: JobError };

export interface JobError {
  message: string;
  code?: string;
  residual?: { entry: string; rule: string; line: number };
}

export function describeJobError(e: unknown): JobError {
  if (e instanceof ResidualSecretError)
    return { message: e.message, residual: { entry: e.entry, rule: e.rule, line: e.line } };
  const err = e as NodeJS.ErrnoException;
  // A job stopped by `cancel` (an AbortError, whose numeric code says nothing) is ECANCELED.
  if (err?.name === 'AbortError') return { message: err.message, code: 'ECANCELED' };
  return { message: err?.message ?? String(e), ...(typeof err?.code === 'string' ? { code: err.code } : {}) };
}

function jobError(e: JobError): Error {
  if (e.residual) return new ResidualSecretError(e.residual.entry, e.residual.rule, e.residual.line);
  return Object.assign(new Error(e.message), e.code ? { code: e.code } : {});
}

/** One log on its way into the archive. */
export interface LogRun {
  job: LogJob;
  entry: DeflatedEntry;
  result: Promise<LogJobResult>;
}

interface Pending extends LogRun {
  resolve(r: LogJobResult): void;
  reject(e: Error): void;
  lane?: Lane;
  knownAtStart?: number;
  cleared?: string[];
}

interface Lane {
  /** Values this lane's redactor knows, in the order it learned them. */
  known: string[];
  current?: Pending;
  start(p: Pending): void;
  teach(values: [string, string][]): void;
  cancel(id: number): void;
  close(): Promise<void>;
}

/** Bytes the archive has not taken yet, per log, before its lane is told to wait. */
const ENTRY_BUFFER = 512 * 1024;

const workerScript = () => builtWorkerScript('./log-worker.js', import.meta.url);

export class LogLanes {
  private readonly queue: Pending[] = [];
  private readonly done: Pending[] = [];
  private readonly learned = new Map<string, string>();
  private readonly fresh = new Set<string>();

  private readonly lanes: Lane[] = [];

  private constructor(private readonly onRead: (job: LogJob, read: number) => void) {}

  static start(seed: RedactorSeed, jobs: number, onRead: (job: LogJob, read: number) => void): LogLanes {
    const n = Math.max(1, Math.min(jobs, os.availableParallelism(), 4));
    const script = workerScript();
    const pool = new LogLanes(onRead);
    const hooks: LaneHooks = {
      data: (p, chunk, read) => pool.data(p, chunk, read),
      finish: (p, r) => pool.finish(p, r),
    };
    for (let i = 0; i < n; i++)
      pool.lanes.push(script ? workerLane(script, seed, hooks) : inlineLane(seed, hooks));
    for (const [v, p] of seed.literals) pool.learned.set(v, p);
    return pool;
  }

  /** Queue a log; lanes take logs in the order they were submitted. */
  submit(job: LogJob): LogRun {
    let resolve!: (r: LogJobResult) => void;
    let reject!: (e: Error) => void;
    const result = new Promise<LogJobResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    result.catch(() => undefined);
    const entry = new DeflatedEntry({ highWaterMark: ENTRY_BUFFER });
    // A log that fails before its turn: the failure is reported through `result`.
    entry.on('error', () => undefined);
    const p: Pending = { job, entry, result, resolve, reject };
    this.queue.push(p);
    this.pump();
    return p;
  }

  /** Stop a log that will not go in (the budget ran out); its lane moves on. */
  cancel(run: LogRun): void {
    const p = run as Pending;
    const i = this.queue.indexOf(p);
    if (i !== -1) {
      this.queue.splice(i, 1);
      p.reject(Object.assign(new Error('cancelled'), { code: 'ECANCELED' }));
      return;
    }
    p.lane?.cancel(p.job.id);
  }

  private pump(): void {
    for (const lane of this.lanes) {
      if (lane.current) continue;
      const p = this.queue.shift();
      if (!p) return;
      p.lane = lane;
      p.knownAtStart = lane.known.length;
      lane.current = p;
      lane.start(p);
    }
  }

  private data(p: Pending, chunk: Uint8Array, read: number): boolean {
    this.onRead(p.job, read);
    return p.entry.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  private finish(p: Pending, r: LogJobResult | Error): void {
    const lane = p.lane;
    if (lane) lane.current = undefined;
    if (r instanceof Error) {
      p.entry.destroy(r);
      p.reject(r);
    } else {
      lane?.known.push(...r.learned.map(([v]) => v));
      for (const [v, ph] of r.learned) this.learned.set(v, ph);
      for (const k of r.fresh) this.fresh.add(k);
      for (const other of this.lanes) if (other !== lane && r.learned.length) other.teach(r.learned);
      p.cleared = r.cleared;
      this.done.push(p);
      p.entry.totals = r;
      p.entry.end();
      p.resolve(r);
    }
    this.pump();
  }

  /** Distinct values the lanes met that the seed did not hold. */
  freshCount(): number {
    return this.fresh.size;
  }

  /** Every value learned anywhere (value → placeholder), for a second attempt if one is needed. */
  allLearned(): [string, string][] {
    return [...this.learned];
  }

  /** Per finished log: the learned values its lane did not know when it began it. */
  lateValues(): Map<number, string[]> {
    const all = [...this.learned.keys()];
    const out = new Map<number, string[]>();
    for (const p of this.done) {
      const known = new Set(p.lane?.known.slice(0, p.knownAtStart ?? 0));
      // Known during the log, with the part before proven clean by its worker (log-job.ts).
      for (const v of p.cleared ?? []) known.add(v);
      if (known.size >= all.length) continue;
      const late = all.filter((v) => !known.has(v));
      if (late.length) out.set(p.job.id, late);
    }
    return out;
  }

  async close(): Promise<void> {
    for (const p of this.queue.splice(0)) p.reject(new Error('closed'));
    await Promise.all(this.lanes.map((l) => l.close()));
  }
}

interface LaneHooks {
  /** false: the entry's buffer is full; acknowledge once it drains. */
  data(p: Pending, chunk: Uint8Array, read: number): boolean | undefined;
  finish(p: Pending, r: LogJobResult | Error): void;
}

/**
 * A worker's heap, capped: V8 otherwise lets each isolate's young generation grow to tens of MiB
 * of garbage between scavenges (a log line is a few short strings), which showed as peak RSS.
 * What a worker keeps (its redactor's map, bounded by MAX_REMEMBERED) fits well within the old
 * generation's cap.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 128 };

function workerLane(script: URL, seed: RedactorSeed, hooks: LaneHooks): Lane {
  const worker = new Worker(script, { workerData: { seed }, resourceLimits: WORKER_LIMITS });
  const post = (m: LaneIn) => worker.postMessage(m);
  const lane: Lane = {
    known: seed.literals.map(([v]) => v),
    start: (p) => post({ type: 'job', job: p.job }),
    teach: (values) => {
      lane.known.push(...values.map(([v]) => v));
      post({ type: 'literals', values });
    },
    cancel: (id) => post({ type: 'cancel', id }),
    close: async () => {
      await worker.terminate();
    },
  };
  // Bytes written into an entry that is over its buffer, acknowledged together when it drains
  // (one listener per entry, not one per chunk).
  const owed = new Map<DeflatedEntry, number>();
  worker.on('message', (m: LaneOut) => {
    const p = lane.current;
    if (!p || p.job.id !== m.id) return;
    if (m.type === 'data') {
      const n = m.chunk.byteLength;
      const accepted = hooks.data(p, m.chunk, m.read) !== false;
      const waiting = owed.get(p.entry);
      if (waiting !== undefined) owed.set(p.entry, waiting + n);
      else if (accepted) post({ type: 'ack', bytes: n });
      else {
        const entry = p.entry;
        owed.set(entry, n);
        entry.once('drain', () => {
          post({ type: 'ack', bytes: owed.get(entry) ?? 0 });
          owed.delete(entry);
        });
      }
    } else if (m.type === 'done') hooks.finish(p, m.result);
    else hooks.finish(p, jobError(m.error));
  });
  worker.on('error', (e) => {
    if (lane.current) hooks.finish(lane.current, e);
  });
  return lane;
}

function inlineLane(seed: RedactorSeed, hooks: LaneHooks): Lane {
  const redactor = new Redactor({ seed });
  let abort: AbortController | undefined;
  const lane: Lane = {
    known: seed.literals.map(([v]) => v),
    start: (p) => {
      abort = new AbortController();
      runLogJob(
        p.job,
        redactor,
        async (chunk, read) => {
          if (hooks.data(p, chunk, read) === false)
            await new Promise<void>((r) => p.entry.once('drain', () => r()));
        },
        abort.signal,
      ).then(
        (r) => hooks.finish(p, r),
        (e: unknown) => hooks.finish(p, e instanceof Error ? e : new Error(String(e))),
      );
    },
    teach: (values) => {
      lane.known.push(...values.map(([v]) => v));
      redactor.addLiterals(values);
    },
    cancel: () => abort?.abort(),
    close: async () => abort?.abort(),
  };
  return lane;
}
