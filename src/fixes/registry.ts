/**
 * The Windows registry seam for fixes: read, write and delete one value with `reg query`, `reg add`
 * and `reg delete` through ctx.exec (argument arrays, never a shell string). Tests replace ctx.exec
 * with an emulated reg.exe over an in-memory registry, so this parsing runs on every OS.
 */
import type { Context } from '../core/context.js';
import { UserError } from '../core/errors.js';

export type RegValue = { type: 'REG_DWORD'; data: number } | { type: 'REG_SZ'; data: string };

export interface Registry {
  /** The value, or null when it does not exist. */
  read(key: string, name: string): Promise<RegValue | null>;
  write(key: string, name: string, value: RegValue): Promise<void>;
  /** Remove the value; a value that is already absent is not an error. */
  remove(key: string, name: string): Promise<void>;
}

const REG_TIMEOUT_MS = 10_000;

/** Parse the value line of `reg query KEY /v NAME` ("    NAME    REG_DWORD    0xa80"). */
export function parseRegQuery(stdout: string, name: string): RegValue | null {
  for (const line of stdout.split(/\r?\n/)) {
    const m =
      /^\s+(.+?)\s{4}(REG_[A-Z_]+)\s{4}(.*)$/.exec(line) ?? /^\s+(.+?)\s{4}(REG_[A-Z_]+)\s*$/.exec(line);
    if (!m || m[1]!.toLowerCase() !== name.toLowerCase()) continue;
    const type = m[2]!;
    const raw = (m[3] ?? '').trim();
    if (type === 'REG_DWORD') {
      const n = Number.parseInt(raw, raw.toLowerCase().startsWith('0x') ? 16 : 10);
      if (!Number.isFinite(n)) return null;
      return { type: 'REG_DWORD', data: n };
    }
    if (type === 'REG_SZ' || type === 'REG_EXPAND_SZ') return { type: 'REG_SZ', data: raw };
    return null;
  }
  return null;
}

export function formatRegValue(v: RegValue | null): string {
  if (!v) return '(absent)';
  return v.type === 'REG_DWORD' ? `${v.type} 0x${v.data.toString(16)} (${v.data})` : `${v.type} "${v.data}"`;
}

/** The argument arrays, shared by the real registry and by the plan's printed commands. */
export function regAddArgs(key: string, name: string, value: RegValue): string[] {
  return ['add', key, '/v', name, '/t', value.type, '/d', String(value.data), '/f'];
}

export function regDeleteArgs(key: string, name: string): string[] {
  return ['delete', key, '/v', name, '/f'];
}

export function realRegistry(ctx: Pick<Context, 'exec'>): Registry {
  const run = async (args: string[]) => {
    const r = await ctx.exec('reg', args, { timeoutMs: REG_TIMEOUT_MS });
    if (r.timedOut) throw new UserError(`"reg ${args[0]}" did not answer within ${REG_TIMEOUT_MS / 1000} s.`);
    return r;
  };
  return {
    async read(key, name) {
      const r = await run(['query', key, '/v', name]);
      // reg.exe exits 1 when the key or value does not exist; its message is localised, so go by the code.
      if (r.code !== 0) return null;
      return parseRegQuery(r.stdout, name);
    },
    async write(key, name, value) {
      const r = await run(regAddArgs(key, name, value));
      if (r.code !== 0)
        throw new UserError(`Could not set ${key}\\${name}: ${r.stderr.trim() || `reg exited ${r.code}`}`);
    },
    async remove(key, name) {
      if ((await this.read(key, name)) === null) return;
      const r = await run(regDeleteArgs(key, name));
      if (r.code !== 0)
        throw new UserError(`Could not remove ${key}\\${name}: ${r.stderr.trim() || `reg exited ${r.code}`}`);
    },
  };
}
