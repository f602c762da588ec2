/**
 * The Helper is a real child process: named `Upwork Helper`, burning CPU only in the GPU-less cpu
 * mode, taking (black or normal) screenshots, and never outliving its parent.
 * Needs the built helper script (npm run build).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pngStats } from '../../src/engine/png.js';
import { readHelperPidfile, startHelper } from '../../src/engine/helper/index.js';
import type { HelperHandle } from '../../src/engine/helper/index.js';
import { ROOT, tempDir } from '../helpers/cli.js';

const linux = process.platform === 'linux';
const started: HelperHandle[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.stop()));
});

async function helper(opts: Parameters<typeof startHelper>[0]): Promise<HelperHandle> {
  const h = await startHelper({ maxSeconds: 60, ...opts });
  started.push(h);
  return h;
}

/** utime + stime of a process in seconds, from /proc/<pid>/stat (fields 14 and 15). */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/** Running, not a zombie waiting for a reaper (containers often have none). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (!linux) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe('Helper process', () => {
  it('is built (run npm run build first)', () => {
    expect(existsSync(path.join(ROOT, 'dist', 'engine', 'helper', 'main.js'))).toBe(true);
  });

  it.runIf(linux)('appears as "Upwork Helper" in ps, with its flags visible', async () => {
    const dir = tempDir();
    const h = await helper({ dataDir: dir, enableGpu: true });
    const out = execFileSync('ps', ['-o', 'comm=,args=', '-p', String(h.pid)], { encoding: 'utf8' });
    expect(out.trim().startsWith('Upwork Helper')).toBe(true);
    expect(readFileSync(`/proc/${h.pid}/comm`, 'utf8').trim()).toBe('Upwork Helper');
    const cmdline = readFileSync(`/proc/${h.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline[0]).toBe('Upwork Helper');
    expect(cmdline).toContain('--enable-gpu');
    // Process listings show the name first and switches after it, as for an installed helper.
    expect(cmdline.join(' ').split(/\s+-/)[0]).toBe('Upwork Helper');
  });

  it('writes its pidfile while running and removes it when stopped', async () => {
    const dir = tempDir();
    const h = await helper({ dataDir: dir, mode: 'black' });
    const pf = await readHelperPidfile(dir);
    expect(pf).toMatchObject({ pid: h.pid, gpu: false, mode: 'black' });
    expect(Date.parse(pf!.startedAt)).not.toBeNaN();
    await h.stop();
    expect(await readHelperPidfile(dir)).toBeUndefined();
    expect(alive(h.pid)).toBe(false);
  });

  it('takes normal screenshots that are not black, and black ones in black mode', async () => {
    const dir = tempDir();
    const normal = await helper({ dataDir: dir });
    const a = await normal.screenshot(7);
    const b = await normal.screenshot(7);
    const c = await normal.screenshot(8);
    expect(a.png.subarray(1, 4).toString()).toBe('PNG');
    expect(a.black).toBe(false);
    expect((await pngStats(a.png)).black).toBe(false);
    expect(a.png.equals(b.png)).toBe(true);
    expect(a.png.equals(c.png)).toBe(false);
    await normal.stop();
    const black = await helper({ dataDir: tempDir(), mode: 'black' });
    const d = await black.screenshot(7);
    expect(d.black).toBe(true);
    expect((await pngStats(d.png)).black).toBe(true);
  });

  it('burns CPU in cpu mode without --enable-gpu and idles with it', async () => {
    const burning = await helper({ dataDir: tempDir(), mode: 'cpu' });
    const idle = await helper({ dataDir: tempDir(), mode: 'cpu', enableGpu: true });
    const b0 = await burning.cpuUsage();
    const i0 = await idle.cpuUsage();
    const p0 = linux ? [procCpuSeconds(burning.pid), procCpuSeconds(idle.pid)] : [0, 0];
    // Sample until the busy one has burnt half a CPU second (bounded: a shared CI box is slow).
    let burnt = 0;
    const until = performance.now() + 5000;
    while (performance.now() < until && burnt < 0.5) {
      await new Promise((r) => setTimeout(r, 250));
      const b1 = await burning.cpuUsage();
      burnt = (b1.userMicros + b1.systemMicros - b0.userMicros - b0.systemMicros) / 1e6;
    }
    const i1 = await idle.cpuUsage();
    const idled = (i1.userMicros + i1.systemMicros - i0.userMicros - i0.systemMicros) / 1e6;
    expect(burnt).toBeGreaterThanOrEqual(0.5);
    expect(idled).toBeLessThan(0.15);
    if (linux) {
      expect(procCpuSeconds(burning.pid) - p0[0]!).toBeGreaterThanOrEqual(0.45);
      expect(procCpuSeconds(idle.pid) - p0[1]!).toBeLessThan(0.15);
    }
  });

  it('exits when its parent is killed', async () => {
    const dir = tempDir();
    const index = path.join(ROOT, 'dist', 'engine', 'helper', 'index.js');
    const code = `const { startHelper } = await import(${JSON.stringify(index)});
      const h = await startHelper({ dataDir: ${JSON.stringify(dir)}, mode: 'cpu', maxSeconds: 60 });
      process.stdout.write(String(h.pid) + '\\n');
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let buf = '';
      parent.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(Number(buf.trim()));
      });
      parent.once('exit', () => reject(new Error('parent exited early')));
    });
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitFor(() => !alive(pid), 5000)).toBe(true);
    // It cleans up after itself on the way out.
    expect(await waitFor(() => !existsSync(path.join(dir, 'engine', 'helper.json')), 2000)).toBe(true);
  });
});
