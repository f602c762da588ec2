import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors.js';
import { bundleBaseName, hostHash, parseDuration, sanitizeTicket } from '../../../src/report/bundle/names.js';
import type { LogCandidate } from '../../../src/report/bundle/plan.js';
import { planLogs } from '../../../src/report/bundle/plan.js';
import { tempDir } from '../../helpers/cli.js';
import { fingerprint } from '../../e2e/bundle-helpers.js';
import { makeBundle } from './make-bundle.js';

describe('names and options', () => {
  it.each([
    ['30m', 30 * 60_000],
    ['6h', 6 * 3600_000],
    ['2d', 2 * 86400_000],
    ['1w', 7 * 86400_000],
    ['90s', 90_000],
    ['1.5h', 5400_000],
  ])('parses --since %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['yesterday', '5', '-3h', '0h', ''])('refuses --since %j', (text) =>
    expect(() => parseDuration(text)).toThrow(UserError),
  );

  it('names the file by ticket or date and a host hash that does not reveal the host', () => {
    const now = Date.UTC(2026, 10, 18, 10, 5, 9);
    expect(bundleBaseName({ ticket: '12345', now, hostname: 'ws-dana-01' })).toBe(
      `upwork-doctor-12345-${hostHash('ws-dana-01')}.zip`,
    );
    expect(bundleBaseName({ now, hostname: 'WS-DANA-01' })).toBe(
      `upwork-doctor-20261118-100509-${hostHash('ws-dana-01')}.zip`,
    );
    expect(hostHash('ws-dana-01')).toMatch(/^[0-9a-f]{8}$/);
    expect(hostHash('ws-dana-01')).not.toBe(hostHash('ws-dana-02'));
    expect(sanitizeTicket(' T-42 ')).toBe('T-42');
    expect(() => sanitizeTicket('../x')).toThrow(/--ticket/);
  });
});

describe('planLogs (size budget)', () => {
  const now = Date.UTC(2026, 10, 18, 10);
  const f = (name: string, size: number, ageH: number): LogCandidate => ({
    name,
    source: `<data>/Upwork/Logs/${name}`,
    file: `/x/${name}`,
    rel: name,
    size,
    mtimeMs: now - ageH * 3600_000,
  });
  const ratio = async () => 0.1;

  it('takes the newest first, tails the file that crosses the budget, skips the rest', async () => {
    const r = await planLogs(
      [f('old.log', 5_000_000, 10), f('new.log', 3_000_000, 1), f('mid.log', 10_000_000, 5)],
      { budget: 1_000_000, now },
      ratio,
    );
    expect(r.take.map((t) => [t.name, t.start > 0])).toEqual([
      ['new.log', false],
      ['mid.log', true],
    ]);
    const mid = r.take[1]!;
    expect(mid.size - mid.start).toBeLessThan(10_000_000);
    expect(r.take.reduce((n, t) => n + t.estimate, 0)).toBeLessThanOrEqual(1_000_000);
    expect(r.skip.map((s) => [s.name, s.reason])).toEqual([['old.log', 'too-large']]);
  });

  it('leaves out logs older than --since', async () => {
    const r = await planLogs(
      [f('a.log', 10, 1), f('b.log', 10, 30)],
      { budget: 1e6, now, sinceMs: 24 * 3600_000 },
      ratio,
    );
    expect(r.take.map((t) => t.name)).toEqual(['a.log']);
    expect(r.skip).toMatchObject([{ name: 'b.log', reason: 'older-than-since' }]);
  });

  it('--since goes by the day in a daily log name, whatever its modification time', async () => {
    // Copied today, but it holds 2026-11-15 (three days before now): left out of a 1-day window.
    const r = await planLogs(
      [f('upwork..20261115.log', 10, 0), f('upwork..20261118.log', 10, 2), f('upwork.cmon.20261117.log', 10, 0)],
      { budget: 1e6, now, sinceMs: 24 * 3600_000 },
      ratio,
    );
    expect(r.take.map((t) => t.name)).toEqual(['upwork..20261118.log', 'upwork.cmon.20261117.log']);
    expect(r.skip).toMatchObject([{ name: 'upwork..20261115.log', reason: 'older-than-since' }]);
  });

  it('records a file that cannot be read as skipped with its reason', async () => {
    const r = await planLogs([f('gone.log', 10, 1)], { budget: 1e6, now }, async () => {
      throw Object.assign(new Error('x'), { code: 'ENOENT' });
    });
    expect(r.skip).toMatchObject([{ name: 'gone.log', reason: 'vanished' }]);
  });
});

describe('createBundle', () => {
  it('shows what it will include and saves nothing when the user says no', async () => {
    const root = tempDir();
    const asked: string[] = [];
    const err = await makeBundle(
      root,
      { confirm: true },
      {
        isTTY: true,
        prompts: { confirm: async (m) => (asked.push(m), false) },
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(1);
    expect(asked[0]).toMatch(/^Save it as .*\.zip\?$/);
    expect(readdirSync(path.join(root, 'out'))).toEqual([]);
  });

  it('seals after a yes, with the summary shown first', async () => {
    const root = tempDir();
    const b = await makeBundle(
      root,
      { confirm: true },
      { isTTY: true, prompts: { confirm: async () => true } },
    );
    expect(existsSync(b.path)).toBe(true);
    expect(b.ctx.err.join('')).toMatch(/This bundle will contain:[\s\S]*logs\s+3 files[\s\S]*Redacted: /);
    expect(readdirSync(path.join(root, 'out'))).toEqual([path.basename(b.path)]);
  });

  it('reads the cache without changing it and records only its metadata', async () => {
    const root = tempDir();
    const b = await makeBundle(root);
    const again = fingerprint(b.cacheDir);
    const second = await makeBundle(root, { ticket: 'again' });
    expect(second.cacheDir).toBe(b.cacheDir);
    expect(fingerprint(b.cacheDir)).toBe(again);
    const cacheEntry = b.manifest.entries.find((e) => e.name === 'cache/cache.json');
    expect(cacheEntry?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.manifest.entries.some((e) => e.name?.endsWith('.jrnl'))).toBe(false);
  });
});

describe('partial files', () => {
  it("a killed run's partial is removed; a live run's partial (its pid is running) is left alone", async () => {
    const { writeFileSync } = await import('node:fs');
    const { spawnSync } = await import('node:child_process');
    const { removeStalePartials } = await import('../../../src/report/bundle/bundle.js');
    const { createTestContext } = await import('../../../src/core/context.js');
    const dir = tempDir();
    // A pid that is surely dead: a child that has already exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout;
    const names = {
      old: 'upwork-doctor-1234-abcdef12.zip.partial',
      dead: `upwork-doctor-1234-abcdef12.zip.${dead}.partial`,
      live: `upwork-doctor-5678-abcdef12.zip.p7m.${process.pid}.partial`,
      other: 'notes.partial',
    };
    for (const n of Object.values(names)) writeFileSync(path.join(dir, n), 'x');
    await removeStalePartials(dir, createTestContext());
    expect(readdirSync(dir).sort()).toEqual([names.live, names.other].sort());
  });
});
