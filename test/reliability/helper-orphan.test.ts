/**
 * kill -9 of the tracker leaves no Helper behind. `engine track` (the built CLI) takes every
 * screenshot through a real `Upwork Helper` child; the tracker is killed with SIGKILL at several
 * moments of its run (early, mid-run) and the Helper, whose pid it wrote in engine/helper.json,
 * must be gone within a few seconds (it watches its IPC channel and its parent). An orphan would
 * keep spinning and a later run would measure and blame it. Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPidAlive } from '../../src/core/pid.js';
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
