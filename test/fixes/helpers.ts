/**
 * Seams for fix tests: an emulated reg.exe over an in-memory registry (loaded from recorded
 * `reg query` outputs), a command table for ctx.exec, scripted prompts, and a test context whose
 * doctor folder is a temp dir.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context, Exec, ExecResult, Prompts } from '../../src/core/context.js';
import { createTestContext } from '../../src/core/context.js';
import { CancelledError, UserError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import type { RegValue } from '../../src/fixes/registry.js';
import { tempDir } from '../helpers/cli.js';

export const FIXTURES = path.join(import.meta.dirname, 'fixtures');

const ROOTS: Record<string, string> = { HKCU: 'HKEY_CURRENT_USER', HKLM: 'HKEY_LOCAL_MACHINE' };
const normKey = (k: string) => {
  const [root, ...rest] = k.split('\\');
  return [ROOTS[root!.toUpperCase()] ?? root!.toUpperCase(), ...rest].join('\\').toLowerCase();
};

/** Raw lines keep values the emulator does not model (REG_BINARY) byte-identical in snapshots. */
type Stored = RegValue | { type: 'raw'; regType: string; data: string };

export class MemoryRegistry {
  /** key (normalised) → { displayKey, values: name(lower) → [displayName, value] } */
  readonly keys = new Map<string, { display: string; values: Map<string, [string, Stored]> }>();

  /** Load a recorded `reg query KEY` output (all values of one key). */
  loadQueryOutput(text: string): this {
    let cur: { display: string; values: Map<string, [string, Stored]> } | undefined;
    for (const line of text.split(/\r?\n/)) {
      if (/^HKEY_/.test(line)) {
        cur = { display: line.trim(), values: new Map() };
        this.keys.set(normKey(line.trim()), cur);
        continue;
      }
      const m = /^\s+(.+?)\s{4}(REG_[A-Z_]+)\s{4}(.*)$/.exec(line);
      if (!m || !cur) continue;
      const [, name, type, data] = m as unknown as [string, string, string, string];
      const v: Stored =
        type === 'REG_DWORD'
          ? { type, data: Number.parseInt(data, 16) }
          : type === 'REG_SZ'
            ? { type, data }
            : { type: 'raw', regType: type, data };
      cur.values.set(name.toLowerCase(), [name, v]);
    }
    return this;
  }

  static fromFixture(...names: string[]): MemoryRegistry {
    const r = new MemoryRegistry();
    for (const n of names) r.loadQueryOutput(readFileSync(path.join(FIXTURES, 'win32', n), 'utf8'));
    return r;
  }

  get(key: string, name: string): Stored | undefined {
    return this.keys.get(normKey(key))?.values.get(name.toLowerCase())?.[1];
  }

  /** A stable, complete serialisation: equal strings mean an identical registry. */
  snapshot(): string {
    const out: Record<string, Record<string, Stored>> = {};
    for (const [k, v] of [...this.keys].sort(([a], [b]) => a.localeCompare(b)))
      out[k] = Object.fromEntries(
        [...v.values].sort(([a], [b]) => a.localeCompare(b)).map(([, [n, val]]) => [n, val]),
      );
    return JSON.stringify(out);
  }

  /** reg.exe, emulated for `query KEY /v NAME`, `add KEY /v NAME /t TYPE /d DATA /f`, `delete KEY /v NAME /f`. */
  readonly exec: Exec = async (file, args) => {
    const ok = (stdout: string): ExecResult => ({
      stdout,
      stderr: '',
      code: 0,
      signal: null,
      timedOut: false,
    });
    const err = (stderr: string): ExecResult => ({
      stdout: '',
      stderr,
      code: 1,
      signal: null,
      timedOut: false,
    });
    if (file !== 'reg') return err(`not reg: ${file}`);
    const [verb, key, , name] = args;
    const nk = normKey(key ?? '');
    const flag = (f: string) => args[args.indexOf(f) + 1];
    if (verb === 'query') {
      const k = this.keys.get(nk);
      const entry = k?.values.get((name ?? '').toLowerCase());
      if (!k || !entry)
        return err('ERROR: The system was unable to find the specified registry key or value.');
      const [n, v] = entry;
      const shown =
        v.type === 'raw'
          ? `${v.regType}    ${v.data}`
          : v.type === 'REG_DWORD'
            ? `REG_DWORD    0x${v.data.toString(16)}`
            : `REG_SZ    ${v.data}`;
      return ok(`\r\n${k.display}\r\n    ${n}    ${shown}\r\n\r\n`);
    }
    if (verb === 'add') {
      const type = flag('/t');
      const data = flag('/d') ?? '';
      let k = this.keys.get(nk);
      if (!k) {
        k = {
          display: key!.replace(/^HKCU/i, 'HKEY_CURRENT_USER').replace(/^HKLM/i, 'HKEY_LOCAL_MACHINE'),
          values: new Map(),
        };
        this.keys.set(nk, k);
      }
      const v: Stored = type === 'REG_DWORD' ? { type, data: Number(data) } : { type: 'REG_SZ', data };
      k.values.set(name!.toLowerCase(), [k.values.get(name!.toLowerCase())?.[0] ?? name!, v]);
      return ok('The operation completed successfully.\r\n');
    }
    if (verb === 'delete') {
      const k = this.keys.get(nk);
      if (!k?.values.delete(name!.toLowerCase()))
        return err('ERROR: The system was unable to find the specified registry key or value.');
      return ok('The operation completed successfully.\r\n');
    }
    return err(`unsupported: reg ${args.join(' ')}`);
  };
}

export interface CommandRow {
  /** `file arg1 arg2`, matched exactly. */
  cmd: string;
  result?: Partial<ExecResult>;
  /** Runs when the command is called (to model its effect on the fake machine). */
  effect?: () => void;
}

/** ctx.exec from a table; unknown commands fail loudly; every call is recorded. */
export function commandTable(rows: CommandRow[] | (() => CommandRow[]), fallback?: Exec) {
  const calls: string[] = [];
  const exec: Exec = async (file, args, opts) => {
    const cmd = [file, ...args].join(' ');
    calls.push(cmd);
    const row = (typeof rows === 'function' ? rows() : rows).find((r) => r.cmd === cmd);
    if (!row) {
      if (fallback) return fallback(file, args, opts);
      return {
        stdout: '',
        stderr: `unexpected command in test: ${cmd}`,
        code: 127,
        signal: null,
        timedOut: false,
      };
    }
    row.effect?.();
    return { stdout: '', stderr: '', code: 0, signal: null, timedOut: false, ...row.result };
  };
  return { exec, calls };
}

export type Answer = boolean | 'cancel';

/** Prompts that answer from a script and record the questions. Running out of answers is a test bug. */
export function scriptedPrompts(answers: Answer[]): Prompts & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async confirm(message) {
      asked.push(message);
      const a = answers.shift();
      if (a === undefined) throw new Error(`unexpected prompt: ${message}`);
      if (a === 'cancel') throw new CancelledError();
      return a;
    },
  };
}

/** Prompts as they behave without a terminal: any question is an error naming the flag. */
export const noTtyPrompts: Prompts = {
  async confirm(message, opts) {
    throw new UserError(
      `Not asking "${message}" without a terminal: pass ${opts?.flagHint ?? '?'}`,
      ExitCode.Failed,
    );
  },
};

/** A test context with its own doctor folder (the undo journal lives there). */
export function fixContext(over: Partial<Context> = {}) {
  const home = tempDir('uwd-fix-');
  const ctx = createTestContext({
    env: { UPWORK_DOCTOR_HOME: path.join(home, 'doctor') },
    homedir: home,
    prompts: noTtyPrompts,
    ...over,
  });
  return Object.assign(ctx, { home });
}

export const host = { setExitCode: () => undefined };
