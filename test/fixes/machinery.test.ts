/**
 * The fix machinery on a toy world: one registry value, a collector that reads it through the real
 * reg.exe parsing (against the emulated reg.exe), a check over it and fixes that change it. Proves
 * dry run, consent, journal-before-change, re-check, rollback, undo and idempotence.
 */
import { describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runFixCommand } from '../../src/cli/run-fix.js';
import { runUndoCommand } from '../../src/cli/run-undo.js';
import { defineCheck } from '../../src/core/check.js';
import type { Collector } from '../../src/core/collector.js';
import { defineCollector } from '../../src/core/collector.js';
import { CancelledError, UserError } from '../../src/core/errors.js';
import { factValue } from '../../src/core/facts.js';
import { defineFix } from '../../src/fixes/actions.js';
import { steps } from '../../src/fixes/fix.js';
import type { Fix } from '../../src/fixes/fix.js';
import type { Journal } from '../../src/fixes/journal.js';
import { listRuns, runsDir } from '../../src/fixes/journal.js';
import { realRegistry } from '../../src/fixes/registry.js';
import { tempDir } from '../helpers/cli.js';
import { MemoryRegistry, commandTable, fixContext, host, scriptedPrompts } from './helpers.js';

declare module '../../src/core/facts.js' {
  interface FactMap {
    fixTestLevel: { level: number | null };
  }
}

const KEY = 'HKCU\\Software\\UwdTest';

const levelCollector = defineCollector({
  key: 'fixTestLevel',
  scope: 'world',
  title: 'test level',
  timeoutMs: 2_000,
  async collect({ ctx, source }) {
    source('registry', `${KEY}\\Level`);
    const v = await realRegistry(ctx).read(KEY, 'Level');
    return { level: v && v.type === 'REG_DWORD' ? v.data : null };
  },
}) as Collector;

const levelCheck = defineCheck({
  id: 'toy-level',
  title: 'Toy level',
  category: 'system',
  platforms: ['linux', 'win32', 'darwin'],
  needs: ['fixTestLevel'],
  docs: 'docs/checks/toy-level.md',
  codePrefix: 'UWD-TOY',
  run(facts) {
    const level = factValue(facts, 'fixTestLevel')?.level ?? 0;
    const fixIds = ['raise-level', 'lower-level', 'broken', 'open-pane'];
    if (level >= 3) return { status: 'pass', code: 'UWD-TOY-001', summary: 'ok' };
    if (level === 2)
      return { status: 'warn', code: 'UWD-TOY-002', summary: 'low', remediation: { text: 'raise', fixIds } };
    return {
      status: 'fail',
      code: 'UWD-TOY-003',
      summary: 'very low',
      remediation: { text: 'raise', fixIds },
    };
  },
});

const setLevel = (fixId: string, level: number) =>
  steps(fixId, [
    {
      title: `Set Level to ${level}`,
      action: { kind: 'registry-set', key: KEY, name: 'Level', value: { type: 'REG_DWORD', data: level } },
    },
  ]);

const raise = defineFix({
  id: 'raise-level',
  title: 'Raise the level',
  fixes: ['toy-level'],
  risk: 'confirm',
  platforms: ['linux'],
  plan: (facts) => ((factValue(facts, 'fixTestLevel')?.level ?? 0) < 3 ? setLevel('raise-level', 3) : []),
});
const lower = defineFix({
  id: 'lower-level',
  title: 'Make it worse',
  fixes: ['toy-level'],
  risk: 'confirm',
  platforms: ['linux'],
  plan: () => setLevel('lower-level', 0),
});
const broken = defineFix({
  id: 'broken',
  title: 'First step works, second fails',
  fixes: ['toy-level'],
  risk: 'confirm',
  platforms: ['linux'],
  plan: () => [
    ...setLevel('broken', 3),
    {
      id: 'broken#2',
      fixId: 'broken',
      title: 'Run a failing command',
      action: { kind: 'exec', command: { file: 'failing-tool', args: ['--go'] } },
    },
  ],
});
const openPane = defineFix({
  id: 'open-pane',
  title: 'Open a settings pane',
  fixes: ['toy-level'],
  risk: 'manual',
  platforms: ['linux'],
  plan: () =>
    steps('open-pane', [
      {
        title: 'Turn it up in Settings',
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: ['Open Settings and turn it up.'],
          open: { target: 'x-test://pane', label: 'the Test pane' },
        },
      },
    ]),
});

function world(level: number | null, over: Parameters<typeof fixContext>[0] = {}) {
  const reg = new MemoryRegistry();
  reg.loadQueryOutput(
    `\r\nHKEY_CURRENT_USER\\Software\\UwdTest\r\n    Other    REG_SZ    keep me\r\n${level === null ? '' : `    Level    REG_DWORD    0x${level.toString(16)}\r\n`}\r\n`,
  );
  const table = commandTable(
    [{ cmd: 'failing-tool --go', result: { code: 3, stderr: 'it broke' } }],
    reg.exec,
  );
  const ctx = fixContext({ exec: table.exec, ...over });
  const seams = {
    collectors: new Map([['fixTestLevel', levelCollector]]),
    checks: [levelCheck],
    fixes: [raise] as Fix[],
  };
  const fix = (opts: Record<string, unknown>, fixes: Fix[] = [raise]) =>
    runFixCommand({ dataDir: ctx.home, ...opts }, host, ctx, { ...seams, fixes });
  const undo = (run?: string, opts: Record<string, unknown> = {}) => runUndoCommand(run, opts, host, ctx);
  return { reg, ctx, fix, undo, table };
}

async function journalOf(ctx: ReturnType<typeof fixContext>, runId: string): Promise<Journal> {
  return JSON.parse(await readFile(path.join(runsDir(ctx), runId, 'journal.json'), 'utf8')) as Journal;
}

describe('fix machinery', () => {
  it('undo refuses a run whose tracker folder no longer exists, and does not recreate it', async () => {
    const w = world(2);
    const dataDir = path.join(tempDir('uwd-tracker-'), 'Upwork');
    mkdirSync(dataDir);
    expect(await w.fix({ yes: true, dataDir })).toBe(0);
    expect(w.reg.get(KEY, 'Level')).toEqual({ type: 'REG_DWORD', data: 3 });
    rmSync(dataDir, { recursive: true });
    await expect(w.undo()).rejects.toThrow(
      /changed the tracker in .*Upwork, which no longer exists; nothing was undone/,
    );
    expect(existsSync(dataDir)).toBe(false);
    expect(w.reg.get(KEY, 'Level')).toEqual({ type: 'REG_DWORD', data: 3 });
  });

  it('--dry-run prints the exact change and changes nothing', async () => {
    const w = world(2);
    const before = w.reg.snapshot();
    expect(await w.fix({ dryRun: true })).toBe(0);
    expect(w.reg.snapshot()).toBe(before);
    const out = w.ctx.out.join('');
    expect(out).toContain('Dry run: nothing will be changed');
    expect(out).toContain(
      'reg add HKCU\\\\Software\\\\UwdTest /v Level /t REG_DWORD /d 3 /f'.replace(/\\\\/g, '\\'),
    );
    expect(await listRuns(w.ctx)).toEqual([]);
  });

  it('without a terminal and without --yes: nothing changes, exit 1, and the message names --yes', async () => {
    const w = world(2);
    const before = w.reg.snapshot();
    expect(await w.fix({})).toBe(1);
    expect(w.reg.snapshot()).toBe(before);
    expect(w.ctx.err.join('')).toMatch(/Nothing was changed.*--yes/);
    expect(await listRuns(w.ctx)).toEqual([]);
  });

  it('--yes applies, re-checks (fixed), journals the prior value; a second run is a no-op; undo restores exactly', async () => {
    const w = world(2);
    const before = w.reg.snapshot();
    expect(await w.fix({ yes: true })).toBe(0);
    expect(w.reg.get(KEY, 'Level')).toEqual({ type: 'REG_DWORD', data: 3 });
    expect(w.ctx.out.join('')).toMatch(/raise-level: fixed \(toy-level warn → pass\)/);
    const runs = await listRuns(w.ctx);
    expect(runs).toHaveLength(1);
    const j = await journalOf(w.ctx, runs[0]!);
    expect(j.entries[0]).toMatchObject({
      state: 'applied',
      backup: { kind: 'registry', prior: { type: 'REG_DWORD', data: 2 } },
    });
    expect(j.results[0]).toMatchObject({ fixId: 'raise-level', outcome: 'fixed' });

    const afterFix = w.reg.snapshot();
    expect(await w.fix({ yes: true })).toBe(0);
    expect(w.reg.snapshot()).toBe(afterFix);
    expect(await listRuns(w.ctx)).toHaveLength(1);

    expect(await w.undo()).toBe(0);
    expect(w.reg.snapshot()).toBe(before);
    expect(await w.undo()).toBe(0);
    expect(w.ctx.out.join('')).toContain('nothing left to undo');
    expect(w.reg.snapshot()).toBe(before);
  });

  it('undo removes a value that did not exist before', async () => {
    const w = world(null);
    const before = w.reg.snapshot();
    expect(await w.fix({ yes: true })).toBe(0);
    expect(w.reg.get(KEY, 'Level')).toEqual({ type: 'REG_DWORD', data: 3 });
    expect(await w.undo()).toBe(0);
    expect(w.reg.get(KEY, 'Level')).toBeUndefined();
    expect(w.reg.snapshot()).toBe(before);
  });

  it('asks per step on a terminal: yes applies, no leaves everything as it was', async () => {
    const yes = scriptedPrompts([true]);
    const w1 = world(2, { isTTY: true, isCI: false, prompts: yes });
    expect(await w1.fix({})).toBe(0);
    expect(yes.asked).toEqual(['raise-level: Set Level to 3?']);
    expect(w1.reg.get(KEY, 'Level')).toEqual({ type: 'REG_DWORD', data: 3 });

    const no = scriptedPrompts([false]);
    const w2 = world(2, { isTTY: true, isCI: false, prompts: no });
    const before = w2.reg.snapshot();
    expect(await w2.fix({})).toBe(1);
    expect(w2.reg.snapshot()).toBe(before);
    expect(w2.ctx.out.join('')).toContain('raise-level: skipped: you said no');
  });

  it('Ctrl-C at a prompt cancels before anything changes', async () => {
    const w = world(1, { isTTY: true, isCI: false, prompts: scriptedPrompts([true, 'cancel']) });
    const before = w.reg.snapshot();
    await expect(w.fix({}, [raise, lower])).rejects.toBeInstanceOf(CancelledError);
    expect(w.reg.snapshot()).toBe(before);
    expect(await listRuns(w.ctx)).toEqual([]);
  });

  it('a fix that makes the check worse is rolled back', async () => {
    const w = world(2);
    const before = w.reg.snapshot();
    expect(await w.fix({ yes: true, only: ['lower-level'] }, [raise, lower])).toBe(1);
    expect(w.reg.snapshot()).toBe(before);
    expect(w.ctx.out.join('')).toMatch(/lower-level: worse, rolled back \(toy-level warn → fail\)/);
    const [run] = await listRuns(w.ctx);
    const j = await journalOf(w.ctx, run!);
    expect(j.entries.map((e) => e.state)).toEqual(['rolled-back']);
    // Nothing left for undo to do, and it says so.
    expect(await w.undo()).toBe(0);
    expect(w.reg.snapshot()).toBe(before);
  });

  it('a failing step rolls back the steps of its fix that went before it', async () => {
    const w = world(1);
    const before = w.reg.snapshot();
    expect(await w.fix({ yes: true, only: ['broken'] }, [broken])).toBe(1);
    expect(w.reg.snapshot()).toBe(before);
    expect(w.ctx.out.join('')).toMatch(
      /broken: failed, rolled back: Run a failing command: "failing-tool --go" failed: it broke/,
    );
  });

  it('saves the prior state in the journal before the change is made', async () => {
    const w = world(2);
    let seen: Journal | undefined;
    const spy = defineFix({
      ...raise,
      apply: async (step, env) => {
        const [run] = await listRuns(env.ctx);
        seen = await journalOf(w.ctx, run!);
        return raise.apply(step, env);
      },
    });
    expect(await w.fix({ yes: true }, [spy])).toBe(0);
    expect(seen?.entries).toEqual([
      expect.objectContaining({
        state: 'pending',
        backup: { kind: 'registry', key: KEY, name: 'Level', prior: { type: 'REG_DWORD', data: 2 } },
      }),
    ]);
  });

  it('manual steps open their pane only when someone at a terminal agrees', async () => {
    const open = vi.fn(async () => undefined);
    const w1 = world(2, { isTTY: true, isCI: false, prompts: scriptedPrompts([true]), open });
    expect(await w1.fix({}, [openPane])).toBe(1);
    expect(open).toHaveBeenCalledWith('x-test://pane');
    expect(w1.ctx.out.join('')).toMatch(/open-pane: left to you: follow the steps above/);

    const open2 = vi.fn(async () => undefined);
    const w2 = world(2, { open: open2 });
    expect(await w2.fix({ yes: true }, [openPane])).toBe(1);
    expect(open2).not.toHaveBeenCalled();
    expect(w2.ctx.out.join('')).toContain('open: the Test pane (x-test://pane)');
  });

  it('--only with an unknown id is a usage error', async () => {
    const w = world(2);
    await expect(w.fix({ only: ['nope'] })).rejects.toThrow(UserError);
    await expect(w.fix({ only: ['nope'] })).rejects.toThrow(/Unknown fix "nope".*raise-level/);
  });

  it('undo --list and undo of an unknown run', async () => {
    const w = world(2);
    expect(await w.fix({ yes: true })).toBe(0);
    const [run] = await listRuns(w.ctx);
    w.ctx.out.length = 0;
    expect(await w.undo(undefined, { list: true })).toBe(0);
    expect(w.ctx.out.join('')).toMatch(new RegExp(`${run}.*raise-level.*1 change to undo`));
    await expect(w.undo('20990101-000000-0000')).rejects.toThrow(/No fix run "20990101-000000-0000"/);
    await expect(w.undo('../../etc')).rejects.toThrow(/not a run id/);
  });
});
