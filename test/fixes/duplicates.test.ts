import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { duplicateInstalls } from '../../src/checks/duplicate-installs.js';
import { runFixCommand } from '../../src/cli/run-fix.js';
import { runUndoCommand } from '../../src/cli/run-undo.js';
import type { Collector } from '../../src/core/collector.js';
import { defineCollector } from '../../src/core/collector.js';
import { duplicates } from '../../src/fixes/duplicates.js';
import type { InstallRecord } from '../../src/facts/installs.js';
import type { TrackerProcess } from '../../src/facts/processes.js';
import { makeFacts } from '../helpers/facts.js';
import { tempDir } from '../helpers/cli.js';
import { fixContext, host } from './helpers.js';

const inst = (version: string, location: string, over: Partial<InstallRecord> = {}): InstallRecord => ({
  source: 'folder',
  name: 'Upwork',
  version,
  location,
  scope: null,
  ref: location,
  ghost: false,
  uninstall: `rm -r "${location}"`,
  ...over,
});
const proc = (pid: number, exe: string): TrackerProcess => ({
  pid,
  ppid: 1,
  name: 'upwork',
  role: 'app',
  path: exe,
  command: exe,
  version: null,
  cpuPercent: 1,
});

const OLD = inst('5.6.0', '/opt/upwork-old');
const NEW = inst('5.8.1', '/opt/Upwork');

describe('duplicates plan (facts in, steps out)', () => {
  const kinds = (installs: InstallRecord[], tracker: TrackerProcess[]) =>
    duplicates
      .plan(
        makeFacts({
          installs: { installs, searched: [] },
          processes: { windowSec: 1, cores: 2, method: 't', tracker },
        }),
      )
      .map((s) =>
        s.action.kind === 'stop-process'
          ? `stop ${s.action.pid}`
          : s.action.kind === 'manual'
            ? `manual ${s.action.command ?? ''}`
            : s.action.kind,
      );

  it.each([
    ['one copy, running', [NEW], [proc(10, '/opt/Upwork/upwork')], []],
    [
      'two copies running: stop the older, uninstall it',
      [OLD, NEW],
      [proc(10, '/opt/upwork-old/upwork'), proc(11, '/opt/Upwork/upwork')],
      ['stop 10', 'manual rm -r "/opt/upwork-old"'],
    ],
    [
      'only the older runs: stop it',
      [OLD, NEW],
      [proc(10, '/opt/upwork-old/upwork')],
      ['stop 10', 'manual rm -r "/opt/upwork-old"'],
    ],
    [
      'two installed, none running: guide the uninstall only',
      [NEW, OLD],
      [],
      ['manual rm -r "/opt/upwork-old"'],
    ],
    [
      'two unknown copies running: keep the first',
      [],
      [proc(10, '/tmp/a/upwork'), proc(11, '/tmp/b/upwork')],
      ['stop 11'],
    ],
    [
      'leftover entry',
      [
        NEW,
        inst('5.0', 'C:\\gone', {
          ghost: true,
          ref: 'HKLM\\SOFTWARE\\X\\Uninstall\\{A}',
          scope: 'machine-64',
        }),
      ],
      [],
      ['manual reg delete "HKLM\\SOFTWARE\\X\\Uninstall\\{A}" /f'],
    ],
  ] as const)('%s', (_n, installs, tracker, want) => {
    expect(kinds([...installs], [...tracker])).toEqual(want);
  });

  it('never plans to delete an install folder itself', () => {
    const s = duplicates.plan(
      makeFacts({
        installs: { installs: [OLD, NEW], searched: [] },
        processes: { windowSec: 1, cores: 2, method: 't', tracker: [] },
      }),
    );
    expect(s.every((x) => x.action.kind === 'manual' || x.action.kind === 'stop-process')).toBe(true);
  });
});

/** Live processes whose executable is one of `exes` (read from /proc, as the real collector does). */
function live(exes: string[]): TrackerProcess[] {
  const out: TrackerProcess[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let exe: string;
    try {
      exe = readlinkSync(`/proc/${d}/exe`);
    } catch {
      continue;
    }
    if (exes.includes(exe)) out.push(proc(Number(d), exe));
  }
  return out;
}

describe.skipIf(process.platform !== 'linux')('duplicates on real processes', () => {
  it('stops the older running copy (check fail → warn), and undo starts it again with its arguments', async () => {
    const root = tempDir('uwd-dup-');
    const dirs = ['old', 'new'].map((n) => path.join(root, n));
    const exes = dirs.map((d) => {
      mkdirSync(d);
      const exe = path.join(d, 'upwork');
      copyFileSync('/bin/sleep', exe);
      return exe;
    });
    const children = exes.map((e) => spawn(e, ['300'], { stdio: 'ignore' }));
    await Promise.all(children.map((c) => new Promise((r) => c.once('spawn', r))));
    const installs = [inst('5.6.0', dirs[0]!), inst('5.8.1', dirs[1]!)];
    const collectors = new Map<string, Collector>([
      [
        'installs',
        defineCollector({
          key: 'installs',
          scope: 'tracker',
          title: 'installs',
          timeoutMs: 1000,
          collect: async () => ({ installs, searched: [root] }),
        }) as Collector,
      ],
      [
        'processes',
        defineCollector({
          key: 'processes',
          scope: 'tracker',
          title: 'processes',
          timeoutMs: 1000,
          collect: async () => ({ windowSec: 0, cores: 1, method: '/proc', tracker: live(exes) }),
        }) as Collector,
      ],
    ]);
    const ctx = fixContext({ platform: 'linux', monotonic: () => performance.now() });
    try {
      const code = await runFixCommand({ yes: true, dataDir: root }, host, ctx, {
        collectors,
        checks: [duplicateInstalls],
        fixes: [duplicates],
      });
      expect(ctx.out.join('')).toMatch(
        /duplicates: better, not yet passing \(duplicate-installs fail → warn\)/,
      );
      expect(code).toBe(1);
      expect(live(exes).map((p) => p.path)).toEqual([exes[1]]);

      expect(await runUndoCommand(undefined, {}, host, ctx)).toBe(0);
      const again = live(exes);
      expect(again.map((p) => p.path).sort()).toEqual([...exes].sort());
      const relaunched = again.find((p) => p.path === exes[0])!;
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(`/proc/${relaunched.pid}/cmdline`, 'utf8').split('\0')).toEqual([
        exes[0],
        '300',
        '',
      ]);
    } finally {
      for (const p of live(exes)) process.kill(p.pid, 'SIGKILL');
      for (const c of children) c.kill('SIGKILL');
    }
  });
});
