/**
 * The Helper process: the child the tracker starts to take screenshots, titled `Upwork Helper`
 * like the real app's helper so the doctor finds it the same way (process name, args, CPU).
 *
 * It takes synthetic screenshots on request over IPC. In `cpu` mode without `--enable-gpu` it burns
 * a core in a busy loop, which is what the real helper does when software rendering kicks in; with
 * the flag it idles. It never outlives its parent: it exits on IPC disconnect, when it is
 * re-parented, or after --max-seconds, so a test can never leak a spinning process.
 *
 * Usage: [Upwork Helper -e import(main.js) --] --data-dir DIR [--mode normal|black|cpu] [--enable-gpu] [--max-seconds N]
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HELPER_MODES, HELPER_TITLE } from './protocol.js';
import type { HelperMode, HelperPidfile, HelperRequest, HelperResponse } from './protocol.js';
import { syntheticPng } from '../png.js';

interface HelperArgs {
  dataDir?: string;
  mode: HelperMode;
  gpu: boolean;
  maxSeconds: number;
}

/** The command line, strictly: a wrong flag or value is one line on stderr and exit 2, never a guess. */
function readArgs(argv: string[]): HelperArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    // `node main.js --flags` leaves the script path as the one positional; `-e … --` leaves none.
    allowPositionals: true,
    strict: true,
    options: {
      'data-dir': { type: 'string' },
      mode: { type: 'string', default: 'normal' },
      'enable-gpu': { type: 'boolean', default: false },
      'max-seconds': { type: 'string', default: '3600' },
    },
  });
  if (positionals.length > 1) throw new TypeError(`unexpected argument "${positionals[1]}"`);
  const mode = values.mode as HelperMode;
  if (!HELPER_MODES.includes(mode))
    throw new TypeError(`--mode must be one of ${HELPER_MODES.join(', ')}, not "${values.mode}"`);
  const maxSeconds = Number(values['max-seconds']);
  if (!(Number.isFinite(maxSeconds) && maxSeconds > 0))
    throw new TypeError(`--max-seconds must be a positive number, not "${values['max-seconds']}"`);
  return {
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    mode,
    gpu: values['enable-gpu'],
    maxSeconds,
  };
}

function argsOrExit(argv: string[]): HelperArgs {
  try {
    return readArgs(argv);
  } catch (e) {
    process.stderr.write(`${HELPER_TITLE}: ${(e as Error).message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exit(2);
  }
}

// Spawned through a link named "Upwork Helper" the kernel already shows that name with the full
// argument list; setting the title would overwrite the arguments (--enable-gpu) support looks for.
if (!process.title.endsWith(HELPER_TITLE)) process.title = HELPER_TITLE;

// Started as `Upwork Helper -e import(main.js) -- --flags` (or `node main.js --flags`): argv[1] is
// the first flag or the script path, which readArgs takes as its one positional.
const args = argsOrExit(process.argv.slice(1));
const startedMono = performance.now();
const originalPpid = process.ppid;
let stopping = false;
let pidfile: string | undefined;

function send(msg: HelperResponse): void {
  if (process.connected && process.send) process.send(msg);
}

function writePidfile(): void {
  if (!args.dataDir) return;
  const dir = path.join(args.dataDir, 'engine');
  const data: HelperPidfile = {
    pid: process.pid,
    args: process.argv.slice(2),
    startedAt: new Date().toISOString(),
    gpu: args.gpu,
    mode: args.mode,
  };
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = path.join(dir, `.helper.json.${process.pid}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`);
    renameSync(tmp, path.join(dir, 'helper.json'));
    pidfile = path.join(dir, 'helper.json');
  } catch {
    // A read-only data folder must not stop screenshots; the doctor then sees no pidfile.
  }
}

function exit(code = 0): void {
  if (stopping) return;
  stopping = true;
  if (pidfile) rmSync(pidfile, { force: true });
  process.exit(code);
}

function parentGone(): boolean {
  if (process.ppid !== originalPpid) return true;
  return (performance.now() - startedMono) / 1000 > args.maxSeconds;
}

/** Burn a core in slices, yielding between them so IPC and the parent check still run. */
function burn(): void {
  if (stopping) return;
  if (parentGone()) return exit(0);
  const until = performance.now() + 40;
  let x = 0;
  while (performance.now() < until) x = (x * 1103515245 + 12345) % 2147483648;
  if (x < 0) send({ type: 'error', id: -1, message: 'unreachable' });
  setImmediate(burn);
}

async function handle(req: HelperRequest): Promise<void> {
  if (req.type === 'stop') return exit(0);
  if (req.type === 'cpu') {
    const u = process.cpuUsage();
    return send({ type: 'cpu', id: req.id, userMicros: u.user, systemMicros: u.system });
  }
  if (req.type === 'screenshot') {
    try {
      const black = args.mode === 'black';
      const png = await syntheticPng({
        seed: req.seed,
        black,
        ...(req.width ? { width: req.width } : {}),
        ...(req.height ? { height: req.height } : {}),
      });
      send({ type: 'screenshot', id: req.id, pngBase64: png.toString('base64'), black });
    } catch (e) {
      send({ type: 'error', id: req.id, message: e instanceof Error ? e.message : String(e) });
    }
  }
}

process.on('message', (m) => void handle(m as HelperRequest));
process.on('disconnect', () => exit(0));
process.on('SIGTERM', () => exit(0));
process.on('SIGINT', () => exit(0));

writePidfile();
send({ type: 'ready', pid: process.pid, mode: args.mode, gpu: args.gpu });

if (args.mode === 'cpu' && !args.gpu) {
  setImmediate(burn);
  // Software rendering spreads over threads: a second, unref'd thread burns too, so the process shows
  // well over one core when the machine has two, and stays over the fail threshold even when a
  // busy machine shares the cores. It dies with the process.
  new Worker('for (;;) {}', { eval: true }).unref();
} else {
  // Idle: wake once a second only to notice a dead parent.
  const t = setInterval(() => {
    if (parentGone()) {
      clearInterval(t);
      exit(0);
    }
  }, 1000);
}
