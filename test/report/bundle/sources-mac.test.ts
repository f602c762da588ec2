import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../../src/core/context.js';
import { gather } from '../../../src/report/bundle/gather.js';
import { tempDir } from '../../helpers/cli.js';
import { makeFacts } from '../../helpers/facts.js';

function put(root: string, rel: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), `${rel}\n`);
}

describe('bundle sources', () => {
  it('macOS: also ~/Library/Logs/Upwork and CrashReporter/Upwork_*; never Chromium caches', async () => {
    const home = tempDir('uwd-mac-home-');
    const data = path.join(home, 'Library', 'Application Support', 'Upwork');
    put(data, 'Upwork/Logs/upwork..20261130.log');
    put(data, 'Upwork/Logs/GPUCache/data_1');
    put(home, 'Library/Logs/Upwork/main.log');
    put(home, 'Library/Application Support/CrashReporter/Upwork_2026-11-30-101010_mac.cpu_resource.diag');
    put(home, 'Library/Application Support/CrashReporter/Safari_2026-11-30.diag');
    const ctx = createTestContext({ platform: 'darwin', homedir: home });
    const target = { kind: 'installed' as const, dataDir: data, found: true, reason: 'test' };
    const g = await gather({ ctx, target, facts: makeFacts({}, { target }), system: {}, processes: {} });
    expect(g.logs.candidates.map((c) => c.name).sort()).toEqual([
      'logs/mac-crashes/Upwork_2026-11-30-101010_mac.cpu_resource.diag',
      'logs/mac-logs/main.log',
      'logs/tracker/upwork..20261130.log',
    ]);
    const linux = createTestContext({ platform: 'linux', homedir: home });
    const g2 = await gather({
      ctx: linux,
      target,
      facts: makeFacts({}, { target }),
      system: {},
      processes: {},
    });
    expect(g2.logs.candidates.map((c) => c.name)).toEqual(['logs/tracker/upwork..20261130.log']);
  });
});
