import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dataDirPermissions } from '../../src/fixes/data-dir-permissions.js';
import type { FixEnv } from '../../src/fixes/fix.js';
import type { DataDirFacts } from '../../src/facts/data-dir.js';
import { realRegistry } from '../../src/fixes/registry.js';
import { makeFacts, missing } from '../helpers/facts.js';
import { tempDir } from '../helpers/cli.js';
import { fixContext } from './helpers.js';

const ok: DataDirFacts = {
  path: '/home/tester/.Upwork',
  exists: true,
  isDirectory: true,
  readable: true,
  writable: true,
  ownerUid: 1000,
  processUid: 1000,
  mode: '755',
};

describe('data-dir-permissions plan (facts in, steps out)', () => {
  it.each([
    ['healthy', ok, []],
    ['missing folder: nothing this fix can do', { ...ok, exists: false }, []],
    ['a file', { ...ok, isDirectory: false }, []],
    ['windows', { ...ok, ownerUid: null, processUid: -1, writable: false }, []],
    ['not writable, mine', { ...ok, writable: false, mode: '555' }, ['file-mode']],
    ['not readable, mine', { ...ok, readable: false, mode: '300' }, ['file-mode']],
    ['owned by root', { ...ok, ownerUid: 0 }, ['manual:needs-admin']],
    ['owned by another user', { ...ok, ownerUid: 1001, writable: false }, ['manual:needs-admin']],
  ] as const)('%s', (_n, value, kinds) => {
    const s = dataDirPermissions.plan(makeFacts({ dataDir: value }));
    expect(s.map((x) => (x.action.kind === 'manual' ? `manual:${x.action.reason}` : x.action.kind))).toEqual(
      kinds,
    );
  });

  it('not collected: no steps', () => {
    expect(dataDirPermissions.plan(makeFacts({ dataDir: missing('error') }))).toEqual([]);
  });

  it('root-owned: prints the exact chown command and is not attempted', () => {
    const [s] = dataDirPermissions.plan(
      makeFacts({ dataDir: { ...ok, path: '/home/t/my data', ownerUid: 0 } }),
    );
    expect(s?.action).toMatchObject({
      kind: 'manual',
      command: `sudo chown -R "$(id -un)" '/home/t/my data'`,
    });
  });

  it('plan is pure: same facts, same steps', () => {
    const f = makeFacts({ dataDir: { ...ok, writable: false } });
    expect(dataDirPermissions.plan(f)).toEqual(dataDirPermissions.plan(f));
  });
});

describe('data-dir-permissions on a real folder', () => {
  it('adds u+rwx, is idempotent, and undo restores the exact mode; files inside are untouched', async () => {
    const dir = path.join(tempDir(), 'Upwork');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'segment.bin'), 'pending time');
    chmodSync(path.join(dir, 'segment.bin'), 0o640);
    chmodSync(dir, 0o551);
    const ctx = fixContext();
    const env: FixEnv = {
      ctx,
      registry: realRegistry(ctx),
      target: { kind: 'installed', dataDir: dir, found: true, reason: 't' },
      options: {},
    };
    const [step] = dataDirPermissions.plan(makeFacts({ dataDir: { ...ok, path: dir, writable: false } }));
    const backup = await dataDirPermissions.capture(step!, env);
    expect(backup).toEqual({ kind: 'file-mode', path: dir, mode: 0o551 });
    expect(await dataDirPermissions.apply(step!, env)).toEqual({ changed: true });
    expect(statSync(dir).mode & 0o7777).toBe(0o751);
    expect(await dataDirPermissions.apply(step!, env)).toEqual({ changed: false });
    expect(statSync(dir).mode & 0o7777).toBe(0o751);
    await dataDirPermissions.undo(backup, env);
    expect(statSync(dir).mode & 0o7777).toBe(0o551);
    await dataDirPermissions.undo(backup, env);
    expect(statSync(dir).mode & 0o7777).toBe(0o551);
    expect(statSync(path.join(dir, 'segment.bin')).mode & 0o7777).toBe(0o640);
    chmodSync(dir, 0o755);
  });
});
