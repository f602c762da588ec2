/**
 * The real EngineOps (src/fixes/engine-ops.js): why a contract is not trackable (table), which
 * targets are the engine, and bad input (unknown operation, relative or non-engine folder) as one
 * clear error that changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TargetInfo } from '../../src/core/facts.js';
import { UserError } from '../../src/core/errors.js';
import {
  OP_REFRESH_CONTRACTS,
  OP_RESTART_HELPER,
  OP_UPLOAD,
  createEngineOps,
  explainContract,
  onEngine,
} from '../../src/fixes/engine-ops.js';
import { makeFacts } from '../helpers/facts.js';
import { tempDir } from '../helpers/cli.js';
import { engineEnv, treePrint } from './engine-ops-helpers.js';

const NOW = Date.parse('2026-11-18T10:00:00.000Z');
const MIDNIGHT_TOMORROW = Date.parse('2026-11-19T00:00:00.000Z');

describe('explainContract', () => {
  const rows = [
    { status: 'active' as const, startDate: NOW - 1, want: undefined },
    { status: 'active' as const, startDate: NOW, want: undefined },
    { status: 'active' as const, startDate: MIDNIGHT_TOMORROW, want: /starts on 2026-11-19 at 00:00 UTC/ },
    { status: 'paused' as const, startDate: NOW - 1, want: /is paused.*only the client can resume it/ },
    { status: 'paused' as const, startDate: MIDNIGHT_TOMORROW, want: /is paused/ },
    { status: 'ended' as const, startDate: NOW - 1, want: /has ended/ },
  ];
  it.each(rows)('$status, start $startDate', ({ status, startDate, want }) => {
    const why = explainContract({ id: 'c-9', title: 'QA', status, startDate }, NOW);
    if (want === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(want);
    if (why) expect(why).toContain('“QA” (c-9)');
  });
});

describe('onEngine', () => {
  const t = (kind: TargetInfo['kind']): TargetInfo => ({ kind, dataDir: '/d', found: true, reason: 'test' });
  it.each([
    { kind: 'embedded' as const, cache: undefined, want: true },
    { kind: 'scenario' as const, cache: undefined, want: true },
    { kind: 'installed' as const, cache: undefined, want: false },
    { kind: 'installed' as const, cache: 'unknown' as const, want: false },
    { kind: 'installed' as const, cache: 'engine' as const, want: true },
  ])('$kind target, cache format $cache → $want', ({ kind, cache, want }) => {
    const items = cache ? { cache: { format: cache } as never } : {};
    expect(onEngine(makeFacts(items, { target: t(kind) }))).toBe(want);
  });
});

describe('bad input to the engine operations', () => {
  it('a relative folder, a folder without an engine, an unknown operation: one clear error, nothing written', async () => {
    const ops = createEngineOps();
    const empty = tempDir('uwd-noengine-');
    mkdirSync(path.join(empty, 'Upwork'));
    const env = engineEnv(empty);
    const bytes = treePrint(empty);
    for (const op of [OP_UPLOAD, OP_RESTART_HELPER, OP_REFRESH_CONTRACTS]) {
      await expect(ops.run(op, { dataDir: 'relative/dir' }, env)).rejects.toThrow(/absolute path/);
      const e = await ops.run(op, { dataDir: empty }, env).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toMatch(/does not hold the reference engine/);
    }
    await expect(
      ops.run(OP_RESTART_HELPER, { dataDir: empty, flags: ['--no-sandbox'] }, env),
    ).rejects.toThrow(/does not hold|only be restarted with --enable-gpu/);
    await expect(ops.run('format-disk', { dataDir: empty }, env)).rejects.toThrow(
      /does not hold|no "format-disk"/,
    );
    expect(treePrint(empty)).toEqual(bytes);
    await ops.close();
  });
});
