import { describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dataDir } from '../../src/checks/data-dir.js';
import type { DataDirFacts } from '../../src/facts/data-dir.js';
import { dataDirCollector } from '../../src/facts/data-dir.js';
import { createTestContext } from '../../src/core/context.js';
import { makeFacts, missing } from '../helpers/facts.js';

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

describe('data-dir', () => {
  it.each([
    ['healthy', ok, 'pass', 'UWD-DATADIR-001'],
    [
      'missing',
      {
        ...ok,
        exists: false,
        isDirectory: false,
        readable: false,
        writable: false,
        ownerUid: null,
        mode: null,
      },
      'fail',
      'UWD-DATADIR-002',
    ],
    ['a file', { ...ok, isDirectory: false }, 'fail', 'UWD-DATADIR-003'],
    ['owned by root, user is not root', { ...ok, ownerUid: 0 }, 'fail', 'UWD-DATADIR-004'],
    ['owned by root, user is root', { ...ok, ownerUid: 0, processUid: 0 }, 'pass', 'UWD-DATADIR-001'],
    ['not writable', { ...ok, writable: false, mode: '555' }, 'fail', 'UWD-DATADIR-005'],
    ['not readable', { ...ok, readable: false, mode: '300' }, 'fail', 'UWD-DATADIR-005'],
    [
      'windows (no owner uid)',
      { ...ok, path: 'C:\\Users\\t\\AppData\\Local\\Upwork', ownerUid: null, processUid: -1 },
      'pass',
      'UWD-DATADIR-001',
    ],
  ] as const)('%s → %s', async (_n, value, status, code) => {
    const f = await dataDir.run(makeFacts({ dataDir: value }));
    expect(f.status).toBe(status);
    expect(f.code).toBe(code);
    if (status === 'fail') expect(f.remediation?.text).toBeTruthy();
  });

  it('root-owned remediation gives the chown command for that folder', async () => {
    const f = await dataDir.run(makeFacts({ dataDir: { ...ok, ownerUid: 0 } }));
    expect(f.remediation?.commands).toEqual(['sudo chown -R "$(id -un)" "/home/tester/.Upwork"']);
  });

  it('not collected is never a pass', async () => {
    const f = await dataDir.run(makeFacts({ dataDir: missing('error') }));
    expect(f.status).toBe('skip');
  });

  describe('collector on real folders', () => {
    const collect = (p: string) =>
      dataDirCollector.collect({
        ctx: createTestContext({ uid: process.getuid?.() ?? -1 }),
        target: { kind: 'installed', dataDir: p, found: true, reason: 't' },
        options: {},
        signal: new AbortController().signal,
        source: () => undefined,
        waitingOn: () => undefined,
      });

    it('reads an existing folder', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'uwd-dd-'));
      try {
        chmodSync(dir, 0o750);
        const v = await collect(dir);
        expect(v).toMatchObject({
          exists: true,
          isDirectory: true,
          readable: true,
          writable: true,
          mode: '750',
          ownerUid: process.getuid?.(),
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('reports a missing folder and a file', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'uwd-dd-'));
      try {
        expect(await collect(path.join(dir, 'nope'))).toMatchObject({ exists: false });
        writeFileSync(path.join(dir, 'f'), 'x');
        expect(await collect(path.join(dir, 'f'))).toMatchObject({ exists: true, isDirectory: false });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
