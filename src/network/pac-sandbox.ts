/**
 * Evaluating an untrusted PAC file with a time and a memory limit. QuickJS (WebAssembly) runs it
 * inside a worker thread: a file that loops (`while(true){}`) or grinds through slow string work
 * would otherwise hold the event loop, so no deadline, timeout or Ctrl-C could end the command.
 * Each compile and each FindProxyForURL call gets PAC_TIME_LIMIT_MS; past it the worker is
 * terminated (a thread, not a process: nothing is left behind). QuickJS's allocator refuses more
 * than PAC_MEMORY_LIMIT_BYTES and the worker's V8 heap is capped too.
 */
import { Worker } from 'node:worker_threads';

export const PAC_TIME_LIMIT_MS = 2_000;
export const PAC_MEMORY_LIMIT_BYTES = 16 * 1024 * 1024;
/** Loading QuickJS's WebAssembly is not the PAC file's time: it gets its own, generous bound. */
const LOAD_LIMIT_MS = 30_000;

/** A PAC file broke its time or memory limit: the file is at fault, not the network. */
export class PacLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PacLimitError';
  }
}

// The worker's body, evaluated as a script (so it runs the same from src/ under tests and from dist/).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const text = (e) => String((e && e.message) || e);
(async () => {
  const [{ createPacResolver }, { QuickJS }] = await Promise.all([
    import(workerData.pacResolver),
    import(workerData.quickjs),
  ]);
  const vm = await QuickJS.create({ memoryLimit: workerData.memoryBytes });
  let fn;
  parentPort.on('message', async (m) => {
    try {
      if (m.text !== undefined) {
        fn = createPacResolver(vm, m.text, { filename: 'proxy.pac' });
        parentPort.postMessage({ id: m.id, ok: true });
      } else parentPort.postMessage({ id: m.id, ok: true, value: String(await fn(m.url, m.host)) });
    } catch (e) {
      parentPort.postMessage({ id: m.id, ok: false, error: text(e) });
    }
  });
  parentPort.postMessage({ id: 'ready', ok: true });
})().catch((e) => parentPort.postMessage({ id: 'ready', ok: false, error: text(e) }));
`;

export type PacEvaluator = (url: string, host: string) => Promise<string>;

interface Reply {
  id: number | 'ready';
  ok: boolean;
  value?: string;
  error?: string;
}

/** One worker, one request at a time, each bounded; any breach terminates the worker. */
class PacWorker {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number | 'ready', (r: Reply) => void>();
  private dead: string | undefined;

  constructor(memoryBytes: number) {
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: {
        pacResolver: import.meta.resolve('pac-resolver'),
        quickjs: import.meta.resolve('quickjs-wasi'),
        memoryBytes,
      },
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    });
    this.worker.on('message', (r: Reply) => this.waiting.get(r.id)?.(r));
    const fail = (why: string) => {
      this.dead ??= why;
      for (const [id, resolve] of this.waiting) resolve({ id, ok: false, error: why });
    };
    this.worker.on('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out of memory' : e.message),
    );
    this.worker.on('exit', () => fail('the PAC sandbox stopped'));
    // Pending requests keep the process alive through their timers; an idle sandbox never does
    // (after the listeners: adding one refs the worker again).
    this.worker.unref();
  }

  request(what: string, body: Record<string, unknown>, limitMs: number, id?: 'ready'): Promise<string> {
    const key = id ?? this.next++;
    return new Promise<string>((resolve, reject) => {
      if (this.dead) return reject(new Error(this.dead));
      const timer = setTimeout(() => {
        void this.terminate();
        reject(
          new PacLimitError(`${what} ran longer than ${limitMs / 1000} s (an endless loop?) and was stopped`),
        );
      }, limitMs);
      this.waiting.set(key, (r) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        if (r.ok) return resolve(r.value ?? '');
        if (/out of memory/i.test(r.error ?? ''))
          return reject(new PacLimitError(`${what} used more memory than a PAC file may and was stopped`));
        reject(new Error(r.error));
      });
      if (!id) this.worker.postMessage({ id: key, ...body });
    });
  }

  terminate(): Promise<number> {
    this.dead ??= 'the PAC sandbox was stopped';
    return this.worker.terminate();
  }
}

/** Compile a PAC file in the sandbox; `evaluate` calls FindProxyForURL there, bounded each time. */
export async function compilePac(
  text: string,
  limits: { timeMs?: number; memoryBytes?: number } = {},
): Promise<{ evaluate: PacEvaluator; dispose(): void }> {
  const timeMs = limits.timeMs ?? PAC_TIME_LIMIT_MS;
  const w = new PacWorker(limits.memoryBytes ?? PAC_MEMORY_LIMIT_BYTES);
  try {
    await w.request('loading the PAC sandbox', {}, LOAD_LIMIT_MS, 'ready');
    await w.request('the PAC file', { text }, timeMs);
  } catch (e) {
    await w.terminate();
    throw e;
  }
  return {
    evaluate: (url, host) => w.request('FindProxyForURL', { url, host }, timeMs),
    dispose: () => void w.terminate(),
  };
}
