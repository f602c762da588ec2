/** Build a real bundle in-process (no CLI, no system probes) for unit tests. */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createTestContext } from '../../../src/core/context.js';
import type { Context } from '../../../src/core/context.js';
import type { Facts } from '../../../src/core/facts.js';
import { createBundle } from '../../../src/report/bundle/bundle.js';
import type { BundleRequest, BundleResult } from '../../../src/report/bundle/bundle.js';
import { makeTracker } from '../../e2e/bundle-helpers.js';

export function testFacts(dataDir: string): Facts {
  return {
    factsVersion: 1,
    collectedAt: '2026-11-18T10:00:00.000Z',
    platform: 'linux',
    target: { kind: 'installed', dataDir, found: true, reason: '--data-dir' },
    host: { hostname: 'ws-dana-01', os: 'linux', arch: 'x64', node: 'v20' },
    items: {},
  };
}

export async function makeBundle(
  root: string,
  over: Partial<BundleRequest> = {},
  ctxOver: Partial<Context> = {},
): Promise<
  BundleResult & {
    dataDir: string;
    cacheDir: string;
    logsDir: string;
    ctx: ReturnType<typeof createTestContext>;
  }
> {
  // A second call on the same root bundles the same tracker again.
  const t = existsSync(path.join(root, 'home'))
    ? (() => {
        const dataDir = path.join(root, 'home', 'dana.whitfield', '.Upwork');
        return {
          dataDir,
          cacheDir: path.join(dataDir, 'Upwork', 'Cache'),
          logsDir: path.join(dataDir, 'Upwork', 'Logs'),
        };
      })()
    : makeTracker(root);
  const out = path.join(root, 'out');
  mkdirSync(out, { recursive: true });
  const ctx = createTestContext({
    hostname: 'ws-dana-01',
    username: 'dwhitfield',
    homedir: '/home/dwhitfield',
    ...ctxOver,
  });
  const facts = testFacts(t.dataDir);
  const r = await createBundle({
    ctx,
    target: facts.target,
    facts,
    report: {
      host: facts.host,
      summary: { pass: 1, warn: 0, fail: 0, skip: 0, error: 0, timeout: 0, total: 1 },
      findings: [],
    },
    reportText: 'upwork-doctor report\n',
    outDir: out,
    maxSizeMB: 50,
    includeScreenshots: false,
    confirm: false,
    system: { os: { hostname: 'ws-dana-01' } },
    processes: { processes: [{ pid: 1, ppid: 0, name: 'node', cmd: 'node app --password Hunter2Hunter2' }] },
    ...over,
  });
  return { ...r, ...t, ctx };
}
