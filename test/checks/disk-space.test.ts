import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diskSpace } from '../../src/checks/disk-space.js';
import { diskCollector } from '../../src/facts/disk.js';
import { createTestContext } from '../../src/core/context.js';
import { MiB, GiB } from '../../src/core/format.js';
import { makeFacts, missing } from '../helpers/facts.js';

const disk = (freeBytes: number) => ({ path: '/home/tester', freeBytes, totalBytes: 500 * GiB });

describe('disk-space', () => {
  it.each([
    ['plenty free', disk(50 * GiB), 'pass', 'UWD-DISK-001'],
    ['just over 1 GiB', disk(1 * GiB), 'pass', 'UWD-DISK-001'],
    ['just under 1 GiB', disk(1 * GiB - 1), 'warn', 'UWD-DISK-002'],
    ['300 MiB', disk(300 * MiB), 'warn', 'UWD-DISK-002'],
    ['exactly 200 MiB', disk(200 * MiB), 'warn', 'UWD-DISK-002'],
    ['just under 200 MiB', disk(200 * MiB - 1), 'fail', 'UWD-DISK-003'],
    ['full', disk(0), 'fail', 'UWD-DISK-003'],
  ] as const)('%s → %s', async (_name, value, status, code) => {
    const f = await diskSpace.run(makeFacts({ disk: value }));
    expect(f.status).toBe(status);
    expect(f.code).toBe(code);
    expect(f.evidence).toMatchObject({ path: '/home/tester', freeBytes: value.freeBytes });
    if (status !== 'pass') expect(f.remediation?.text).toMatch(/Do not delete the Upwork folder/);
  });

  it.each(['timeout', 'error', 'needs-admin'] as const)(
    'not collected (%s) is never a pass',
    async (reason) => {
      const f = await diskSpace.run(makeFacts({ disk: missing(reason) }));
      expect(['skip', 'timeout']).toContain(f.status);
      expect(f.summary).toMatch(/Not checked/);
    },
  );

  it('the collector measures a real folder, walking up from a missing one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'uwd-disk-'));
    try {
      const ctx = createTestContext();
      const sources: string[] = [];
      const v = await diskCollector.collect({
        ctx,
        target: { kind: 'installed', dataDir: path.join(dir, 'not', 'there'), found: false, reason: 't' },
        options: {},
        signal: new AbortController().signal,
        source: (_k, ref) => void sources.push(ref),
        waitingOn: () => undefined,
      });
      expect(v.path).toBe(dir);
      expect(v.totalBytes).toBeGreaterThan(0);
      expect(v.freeBytes).toBeGreaterThanOrEqual(0);
      expect(v.freeBytes).toBeLessThanOrEqual(v.totalBytes);
      expect(sources).toEqual([dir]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
