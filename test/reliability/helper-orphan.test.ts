/**
 * kill -9 of the tracker leaves no Helper behind. `engine track` (the built CLI) takes every
 * screenshot through a real `Upwork Helper` child; the tracker is killed with SIGKILL at several
 * moments of its run (early, mid-run) and the Helper, whose pid it wrote in engine/helper.json,
 * must be gone within a few seconds. An orphan would keep spinning and a later run would measure
 * and blame it. Needs `npm run build`.
 *
 * The Helper has two watches, and each alone already ends it after a kill -9 of `engine track`
 * (its IPC channel closes AND it is re-parented), so the end-to-end tests pass with either one
 * removed. Each watch is therefore also tested alone: the parent watch with a Helper started
 * without an IPC channel by a parent that is then killed with SIGKILL (idle and busy-looping), and
 * the IPC watch with a parent that stays alive and only closes the channel. Removing either watch
 * from src/engine/helper/main.ts makes one of them fail.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPidAlive } from '../../src/core/pid.js';
import { helperScriptPath } from '../../src/engine/helper/index.js';
import { BIN, ROOT, tempDir } from '../helpers/cli.js';
import { pidIn, waitFor } from '../helpers/procs.js';

const helperPid = (data: string) => pidIn(path.join(data, 'engine', 'helper.json'));

describe('the Helper never outlives its tracker', () => {
  for (const afterMs of [0, 400, 1500]) {
    it(`kill -9 of engine track ${afterMs} ms after its Helper started: no Helper left`, async () => {
      const home = tempDir('uwd-orphan-');
      const data = path.join(home, 'doctor', 'reference');
      const child = spawn(
        process.execPath,
        [
          BIN,
          'engine',
          'track',
          '--contract',
          'c-1001',
          '--memo',
          'orphan test',
          '--minutes',
          '600',
          '--speed',
          '20',
        ],
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH,
            HOME: home,
            UPWORK_DOCTOR_HOME: path.join(home, 'doctor'),
            TZ: 'UTC',
          },
          stdio: 'ignore',
        },
      );
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      let pid: number | undefined;
      expect(await waitFor(() => (pid = helperPid(data)) !== undefined && isPidAlive(pid), 60_000)).toBe(
        true,
      );
      await new Promise((r) => setTimeout(r, afterMs));
      child.kill('SIGKILL');
      await exited;
      expect(await waitFor(() => !isPidAlive(pid!), 5000), `Helper ${pid} still running`).toBe(true);
    }, 90_000);
  }
});

/** How long a Helper may outlive the loss of its parent or channel (its idle watch wakes once a second). */
const EXIT_BOUND_MS = 4000;

/** A Helper started straight from its script (no `Upwork Helper` link needed), with no IPC channel. */
const PARENT_SCRIPT = `
const { spawn } = require('node:child_process');
const [script, ...flags] = process.argv.slice(1);
const c = spawn(process.execPath, [script, ...flags], { stdio: 'ignore' });
process.stdout.write(String(c.pid) + '\\n');
setInterval(() => {}, 1000);
`;

describe("each of the Helper's watches works alone", () => {
  for (const mode of ['normal', 'cpu'] as const) {
    it(`parent killed with SIGKILL, no IPC channel to notice it (${mode} mode): the Helper exits`, async () => {
      const data = tempDir('uwd-orphan-ppid-');
      const flags = ['--data-dir', data, '--mode', mode, '--max-seconds', '120'];
      const parent = spawn(process.execPath, ['-e', PARENT_SCRIPT, helperScriptPath(), ...flags], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const parentExited = new Promise<void>((r) => parent.once('exit', () => r()));
      let out = '';
      parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
      let helper = 0;
      try {
        expect(
          await waitFor(() => (helper = Number.parseInt(out, 10)) > 0 && helperPid(data) === helper, 20_000),
        ).toBe(true);
      } finally {
        parent.kill('SIGKILL');
        await parentExited;
      }
      const t0 = performance.now();
      const gone = await waitFor(() => !isPidAlive(helper), EXIT_BOUND_MS);
      if (!gone) process.kill(helper, 'SIGKILL');
      expect(gone, `Helper ${helper} still running ${EXIT_BOUND_MS} ms after its parent died`).toBe(true);
      expect(performance.now() - t0).toBeLessThan(EXIT_BOUND_MS);
      // It cleaned up after itself: no pidfile naming a dead process.
      expect(await waitFor(() => !existsSync(path.join(data, 'engine', 'helper.json')), 1000)).toBe(true);
    }, 40_000);
  }

  it('parent alive, IPC channel closed: the Helper exits', async () => {
    const data = tempDir('uwd-orphan-ipc-');
    const child = spawn(process.execPath, [helperScriptPath(), '--data-dir', data, '--max-seconds', '120'], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      const ready = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 20_000);
        child.once('message', () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      expect(ready).toBe(true);
      child.disconnect();
      const gone = await waitFor(() => child.exitCode !== null || child.signalCode !== null, EXIT_BOUND_MS);
      expect(gone, 'the Helper kept running after its IPC channel closed').toBe(true);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  }, 40_000);
});
