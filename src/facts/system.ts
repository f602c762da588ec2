/**
 * The operating system, its version and its architecture, for the supported-system check.
 * Linux: `/etc/os-release` (ID, VERSION_ID, PRETTY_NAME) and the machine (`uname -m`, via
 * os.machine()). macOS: `sw_vers -productVersion`. Windows: the build in os.release()
 * (10.0.22000 and later is Windows 11) and the machine.
 */
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { NotCollectedError, defineCollector } from '../core/collector.js';

export interface SystemFacts {
  /** `ubuntu`, `fedora`, `macos`, `windows` … */
  id: string;
  /** `22.04`, `14.5`, `11` … (null when unknown). */
  version: string | null;
  /** As the system names itself: `Ubuntu 22.04.4 LTS`, `macOS 14.5`, `Windows 11 (build 22631)`. */
  name: string;
  /** The machine: `x86_64`, `aarch64`, `arm64`, `i686`, `armv7l` … */
  machine: string;
  /** Whether the machine is 64-bit. */
  is64Bit: boolean;
  /** Windows build number, when on Windows. */
  build?: number;
}

declare module '../core/facts.js' {
  interface FactMap {
    system: SystemFacts;
  }
}

const SIXTY_FOUR = /^(x86_64|amd64|x64|aarch64|arm64|ppc64le|s390x|riscv64)$/i;

/** `KEY=value` / `KEY="value"` lines of os-release(5). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

/** Windows 11 reports itself as 10.0 with a build of 22000 or more. */
export function windowsName(release: string): { version: string | null; build: number | undefined } {
  const [major, , b] = release.split('.');
  const build = Number(b);
  if (major !== '10' || !Number.isFinite(build))
    return { version: major ?? null, build: Number.isFinite(build) ? build : undefined };
  return { version: build >= 22000 ? '11' : '10', build };
}

export const systemCollector = defineCollector({
  key: 'system',
  scope: 'world',
  title: 'operating system and architecture',
  timeoutMs: 5_000,
  async collect({ ctx, source }) {
    const machine = os.machine();
    const is64Bit = SIXTY_FOUR.test(machine);
    if (ctx.platform === 'linux') {
      source('file', '/etc/os-release');
      const rel = parseOsRelease(await readFile('/etc/os-release', 'utf8').catch(() => ''));
      return {
        id: rel.ID ?? 'linux',
        version: rel.VERSION_ID ?? null,
        name: rel.PRETTY_NAME ?? 'Linux',
        machine,
        is64Bit,
      };
    }
    if (ctx.platform === 'darwin') {
      source('command', 'sw_vers -productVersion');
      const r = await ctx.exec('sw_vers', ['-productVersion'], { timeoutMs: 4_000 });
      const version = r.code === 0 ? r.stdout.trim() : null;
      if (!version)
        throw new NotCollectedError('error', `sw_vers failed: ${r.stderr.trim() || `exit ${r.code}`}`);
      return { id: 'macos', version, name: `macOS ${version}`, machine, is64Bit };
    }
    if (ctx.platform === 'win32') {
      const { version, build } = windowsName(os.release());
      return {
        id: 'windows',
        version,
        name: `Windows ${version ?? '?'}${build ? ` (build ${build})` : ''}`,
        machine,
        is64Bit,
        build,
      };
    }
    throw new NotCollectedError('not-applicable', `${ctx.platform} is not a system the Upwork app runs on`);
  },
});
