/**
 * How each kind of step is captured, applied and undone. A fix file usually only plans: these
 * shared implementations make every kind of change idempotent and exactly reversible the same way.
 */
import { spawn } from 'node:child_process';
import { chmod, readFile, readlink, stat } from 'node:fs/promises';
import { UserError, errorMessage } from '../core/errors.js';
import type { ApplyResult, Backup, Fix, FixDefinition, FixEnv, Step } from './fix.js';
import { showCommand } from './fix.js';
import { isPidAlive } from '../core/pid.js';

const EXEC_TIMEOUT_MS = 20_000;
const STOP_WAIT_MS = 5_000;

async function modeOf(p: string): Promise<number> {
  try {
    return (await stat(p)).mode & 0o7777;
  } catch (e) {
    throw new UserError(
      `Cannot read the permissions of ${p}: ${(e as NodeJS.ErrnoException).code ?? 'error'}.`,
    );
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export async function captureStep(step: Step, env: FixEnv): Promise<Backup> {
  const a = step.action;
  switch (a.kind) {
    case 'registry-set':
      return { kind: 'registry', key: a.key, name: a.name, prior: await env.registry.read(a.key, a.name) };
    case 'file-mode':
      return { kind: 'file-mode', path: a.path, mode: await modeOf(a.path) };
    case 'exec':
      return { kind: 'exec', undo: a.undo ?? null };
    case 'stop-process': {
      // Linux keeps the exact argument vector; relaunching with it restores the copy as it ran.
      if (env.ctx.platform === 'linux' && a.exe) {
        const argv = await readFile(`/proc/${a.pid}/cmdline`, 'utf8').catch(() => '');
        const args = argv.split('\0').filter((x, i, all) => i > 0 && !(i === all.length - 1 && x === ''));
        if (argv) return { kind: 'stop-process', pid: a.pid, name: a.name, relaunch: { file: a.exe, args } };
      }
      return { kind: 'stop-process', pid: a.pid, name: a.name, relaunch: a.relaunch ?? null };
    }
    case 'engine':
      // Captured before the change when the engine can say what it will touch; the operation also
      // reports its prior state when it runs (see applyStep).
      return {
        kind: 'engine',
        op: a.op,
        state: env.engine?.capture ? await env.engine.capture(a.op, a.args, env) : {},
      };
    case 'manual':
      return { kind: 'none' };
  }
}

export async function applyStep(step: Step, env: FixEnv): Promise<ApplyResult> {
  const a = step.action;
  const { ctx } = env;
  switch (a.kind) {
    case 'registry-set': {
      const cur = await env.registry.read(a.key, a.name);
      if (cur && cur.type === a.value.type && cur.data === a.value.data) return { changed: false };
      await env.registry.write(a.key, a.name, a.value);
      return { changed: true };
    }
    case 'file-mode': {
      const mode = await modeOf(a.path);
      if ((mode & a.addBits) === a.addBits) return { changed: false };
      try {
        await chmod(a.path, mode | a.addBits);
      } catch (e) {
        throw new UserError(
          `Cannot change the permissions of ${a.path}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}.`,
        );
      }
      return { changed: true };
    }
    case 'exec': {
      if (a.done) {
        const probe = await ctx.exec(a.done.command.file, a.done.command.args, {
          timeoutMs: EXEC_TIMEOUT_MS,
        });
        if (probe.code === 0 && new RegExp(a.done.stdoutMatches).test(probe.stdout))
          return { changed: false };
      }
      const r = await ctx.exec(a.command.file, a.command.args, { timeoutMs: a.timeoutMs ?? EXEC_TIMEOUT_MS });
      if (r.timedOut) throw new UserError(`"${showCommand(a.command)}" did not finish in time.`);
      if (r.code !== 0)
        throw new UserError(
          `"${showCommand(a.command)}" failed: ${r.stderr.trim().split('\n')[0] || `exit code ${r.code}`}.`,
        );
      return { changed: true };
    }
    case 'stop-process': {
      if (!isPidAlive(a.pid)) return { changed: false, message: `${a.name} (pid ${a.pid}) is not running.` };
      // The pid may have been reused since the facts were collected: stop only the same program.
      if (a.exe && ctx.platform === 'linux') {
        const exe = await readlink(`/proc/${a.pid}/exe`).catch(() => undefined);
        if (exe !== undefined && exe.replace(/ \(deleted\)$/, '') !== a.exe)
          return { changed: false, message: `pid ${a.pid} is now ${exe}, not ${a.name}; left alone.` };
      }
      if (ctx.platform === 'win32') {
        const r = await ctx.exec('taskkill', ['/PID', String(a.pid), '/T'], { timeoutMs: EXEC_TIMEOUT_MS });
        if (r.code !== 0) throw new UserError(`Could not stop ${a.name} (pid ${a.pid}): ${r.stderr.trim()}`);
      } else {
        try {
          process.kill(a.pid, 'SIGTERM');
        } catch (e) {
          throw new UserError(
            `Could not stop ${a.name} (pid ${a.pid}): ${(e as NodeJS.ErrnoException).code}.`,
          );
        }
      }
      const t0 = ctx.monotonic();
      while (isPidAlive(a.pid) && ctx.monotonic() - t0 < STOP_WAIT_MS) await sleep(50);
      if (isPidAlive(a.pid))
        throw new UserError(`${a.name} (pid ${a.pid}) did not stop within ${STOP_WAIT_MS / 1000} s.`);
      return { changed: true };
    }
    case 'engine': {
      if (!env.engine)
        throw new UserError(`This target has no "${a.op}" operation (it is not the embedded engine).`);
      const r = await env.engine.run(a.op, a.args, env);
      return { changed: r.changed, engineState: r.state, ...(r.message ? { message: r.message } : {}) };
    }
    case 'manual':
      return { changed: false };
  }
}

export async function undoBackup(backup: Backup, env: FixEnv): Promise<void> {
  switch (backup.kind) {
    case 'registry':
      if (backup.prior === null) await env.registry.remove(backup.key, backup.name);
      else {
        const cur = await env.registry.read(backup.key, backup.name);
        if (!cur || cur.type !== backup.prior.type || cur.data !== backup.prior.data)
          await env.registry.write(backup.key, backup.name, backup.prior);
      }
      return;
    case 'file-mode':
      if ((await modeOf(backup.path)) !== backup.mode) {
        try {
          await chmod(backup.path, backup.mode);
        } catch (e) {
          throw new UserError(
            `Cannot restore the permissions of ${backup.path}: ${(e as NodeJS.ErrnoException).code}.`,
          );
        }
      }
      return;
    case 'exec': {
      if (!backup.undo) return;
      const r = await env.ctx.exec(backup.undo.file, backup.undo.args, { timeoutMs: EXEC_TIMEOUT_MS });
      if (r.code !== 0)
        throw new UserError(
          `"${showCommand(backup.undo)}" failed: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}.`,
        );
      return;
    }
    case 'stop-process': {
      if (!backup.relaunch) return;
      // Start the stopped copy again, detached, as it was running before (not waited on).
      const child = spawn(backup.relaunch.file, backup.relaunch.args, { detached: true, stdio: 'ignore' });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', (e) =>
          reject(new UserError(`Could not start ${backup.name} again: ${e.message}`)),
        );
      });
      child.unref();
      return;
    }
    case 'engine':
      if (env.engine?.undo) await env.engine.undo(backup.op, backup.state, env);
      return;
    case 'none':
      return;
  }
}

/** A fix from its plan, with the shared capture/apply/undo unless it brings its own. */
export function defineFix(def: FixDefinition): Fix {
  return {
    capture: captureStep,
    apply: applyStep,
    undo: undoBackup,
    ...def,
  };
}
