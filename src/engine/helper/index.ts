/**
 * Starting and talking to the Helper process (main.ts). The tracker asks it for screenshots over
 * IPC; the doctor's helper-cpu check finds it by its name, `Upwork Helper`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readlink, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HELPER_TITLE } from './protocol.js';
import type { HelperMode, HelperPidfile, HelperRequest, HelperResponse } from './protocol.js';

export { HELPER_TITLE, HELPER_MODES } from './protocol.js';
export type { HelperMode, HelperPidfile } from './protocol.js';

export interface StartHelperOptions {
  dataDir: string;
  mode?: HelperMode;
  enableGpu?: boolean;
  /** Hard cap on the Helper's life, seconds (default 3600): a safety net, not the normal stop. */
  maxSeconds?: number;
  /** How long to wait for the Helper's "ready", ms (default 10 000). */
  startTimeoutMs?: number;
}

export interface CpuSample {
  userMicros: number;
  systemMicros: number;
}

export interface HelperHandle {
  pid: number;
  mode: HelperMode;
  gpu: boolean;
  /** The command line it was started with, as `ps` shows it. */
  args: string[];
  screenshot(
    seed: number,
    size?: { width: number; height: number },
  ): Promise<{ png: Buffer; black: boolean }>;
  /** The Helper's own cumulative CPU time (process.cpuUsage inside the child). */
  cpuUsage(): Promise<CpuSample>;
  /** Ask it to exit, then make sure it did (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

/**
 * The compiled Helper script. Beside this module in dist/; when running from the TypeScript
 * sources (tests), the built copy in dist/ (run `npm run build` first).
 */
export function helperScriptPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const sibling = path.join(here, 'main.js');
  if (existsSync(sibling)) return sibling;
  const root = path.resolve(here, '..', '..', '..');
  const built = path.join(root, 'dist', 'engine', 'helper', 'main.js');
  if (existsSync(built)) return built;
  throw new Error(`the Helper script is not built (looked for ${sibling} and ${built}); run "npm run build"`);
}

/**
 * A link named "Upwork Helper" to the Node binary, so the kernel reports that name (ps comm)
 * while keeping the full argument list visible. Where links cannot be made (Windows without
 * privileges, odd filesystems) the Helper sets its own process title instead.
 */
async function namedExecutable(dataDir: string): Promise<string> {
  if (process.platform === 'win32') return process.execPath;
  const dir = path.join(dataDir, 'engine', 'bin');
  const link = path.join(dir, HELPER_TITLE);
  try {
    await mkdir(dir, { recursive: true });
    try {
      if ((await readlink(link)) === process.execPath) return link;
      await rm(link, { force: true });
    } catch {
      // no link yet
    }
    await symlink(process.execPath, link);
    return link;
  } catch {
    return process.execPath;
  }
}

export async function startHelper(opts: StartHelperOptions): Promise<HelperHandle> {
  const mode = opts.mode ?? 'normal';
  const gpu = Boolean(opts.enableGpu);
  const script = helperScriptPath();
  const flags = ['--data-dir', opts.dataDir, '--mode', mode];
  if (gpu) flags.push('--enable-gpu');
  if (opts.maxSeconds) flags.push('--max-seconds', String(opts.maxSeconds));
  // The script is loaded from -e so the command line reads `Upwork Helper -e … -- --flags`, which
  // is how process lists (ps-list, Task Manager) show an installed helper: name first, then switches.
  const args = ['-e', `import(${JSON.stringify(pathToFileURL(script).href)})`, '--', ...flags];
  const exe = await namedExecutable(opts.dataDir);
  const child: ChildProcess = spawn(exe, args, {
    argv0: HELPER_TITLE,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
    windowsHide: true,
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });

  let nextId = 1;
  const waiting = new Map<number, { resolve: (r: HelperResponse) => void; reject: (e: Error) => void }>();
  child.on('message', (m) => {
    const msg = m as HelperResponse;
    if ('id' in msg) {
      const w = waiting.get(msg.id);
      if (w) {
        waiting.delete(msg.id);
        w.resolve(msg);
      }
    }
  });
  void exited.then(() => {
    for (const w of waiting.values()) w.reject(new Error('the Helper process exited'));
    waiting.clear();
  });

  const ready = await new Promise<Extract<HelperResponse, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the Helper did not start within ${opts.startTimeoutMs ?? 10_000} ms`));
    }, opts.startTimeoutMs ?? 10_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as Extract<HelperResponse, { type: 'ready' }>);
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the Helper exited during start (code ${code}): ${stderr.trim()}`));
    });
  });

  const request = (req: HelperRequest & { id: number }, timeoutMs = 10_000): Promise<HelperResponse> =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error('the Helper process is not running'));
      const timer = setTimeout(() => {
        waiting.delete(req.id);
        reject(new Error(`the Helper did not answer "${req.type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(req.id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      child.send(req);
    });

  return {
    pid: ready.pid,
    mode,
    gpu,
    args: [HELPER_TITLE, ...args],
    exited,
    async screenshot(seed, size) {
      const r = await request({ type: 'screenshot', id: nextId++, seed, ...size });
      if (r.type === 'error') throw new Error(`the Helper could not take a screenshot: ${r.message}`);
      if (r.type !== 'screenshot') throw new Error(`unexpected answer from the Helper: ${r.type}`);
      return { png: Buffer.from(r.pngBase64, 'base64'), black: r.black };
    },
    async cpuUsage() {
      const r = await request({ type: 'cpu', id: nextId++ });
      if (r.type !== 'cpu') throw new Error(`unexpected answer from the Helper: ${r.type}`);
      return { userMicros: r.userMicros, systemMicros: r.systemMicros };
    },
    async stop(graceMs = 2000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' } satisfies HelperRequest);
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
      // Killed before it could clean up: remove its pidfile so nobody reads a dead pid.
      const pf = await readHelperPidfile(opts.dataDir);
      if (pf?.pid === ready.pid) await rm(path.join(opts.dataDir, 'engine', 'helper.json'), { force: true });
    },
  };
}

/** The Helper's pidfile, or undefined when there is none (or it is not JSON). */
export async function readHelperPidfile(dataDir: string): Promise<HelperPidfile | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dataDir, 'engine', 'helper.json'), 'utf8')) as HelperPidfile;
  } catch {
    return undefined;
  }
}
