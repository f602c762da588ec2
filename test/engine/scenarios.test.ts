/**
 * Every scenario is built through the real engine (tracker, journal store, HTTPS server, uploader,
 * Helper process) and produces the state it claims: cache level, status, rejections, refusals,
 * contract statuses, and the cache-fullness finding. The claims are checked against what can be
 * observed (the store, status.json, the logs, the server's answers to a check), never against a
 * copy of the scenario's own settings.
 * Needs the built Helper script (npm run build).
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheFullness } from '../../src/checks/cache-fullness.js';
import { createTestContext } from '../../src/core/context.js';
import type { Facts } from '../../src/core/facts.js';
import { collected } from '../../src/core/facts.js';
import { cacheCollector } from '../../src/facts/cache.js';
import type { CacheFacts } from '../../src/facts/cache.js';
import { startEngineSession } from '../../src/engine/embedded.js';
import { openStore } from '../../src/engine/store/store.js';
import { FakeClock } from '../../src/engine/clock.js';
import { buildScenario, listScenarios, loadScenario, referenceNow } from '../../src/engine/scenarios.js';
import { tempDir } from '../helpers/cli.js';
import { trackerLogText } from '../helpers/logs.js';

const NAMES = [
  'black-screenshots',
  'cache-75',
  'cache-full',
  'cache-near-lock',
  'clock-skew',
  'contract-paused',
  'contract-starts-tomorrow',
  'device-conflict',
  'healthy',
  'helper-cpu',
  'old-tls',
  'stuck-caching',
];

// A Wednesday, so scenarios without a clock anchor do not straddle a Monday lock.
const REAL_NOW = Date.UTC(2026, 10, 18, 10, 0, 7, 123);

describe('scenarios', () => {
  it('lists exactly the scenarios the doctor must recognise', async () => {
    const all = await listScenarios();
    expect(all.map((s) => s.name)).toEqual(NAMES);
    for (const s of all) {
      expect(s.summary.length).toBeGreaterThan(10);
      expect(s.claims.findings.some((f) => f.check === 'cache-fullness')).toBe(true);
    }
  });

  it('rejects unknown and malformed names', async () => {
    await expect(loadScenario('no-such-thing')).rejects.toThrow(/unknown scenario/);
    await expect(loadScenario('../etc')).rejects.toThrow(/not a scenario name/);
  });

  it('anchors a weekday clock at or before real now, in UTC', () => {
    const monday8 = referenceNow({ clock: { weekday: 1, time: '08:00' } }, REAL_NOW);
    expect(new Date(monday8).toISOString()).toBe('2026-11-16T08:00:00.000Z');
    const thursday = referenceNow({ clock: { weekday: 4, time: '16:00' } }, REAL_NOW);
    expect(new Date(thursday).toISOString()).toBe('2026-11-12T16:00:00.000Z');
    expect(referenceNow({}, REAL_NOW)).toBe(Date.UTC(2026, 10, 18, 10, 0));
  });

  it.each(NAMES)('%s: builds and produces the state it claims', async (name) => {
    const spec = await loadScenario(name);
    const dir = tempDir(`uwd-scn-${name}-`);
    const built = await buildScenario(spec, dir, { now: REAL_NOW });
    const claims = spec.claims;

    // The cache, reopened by the engine's own store: what it holds is what the scenario says.
    const store = await openStore({
      cacheDir: path.join(dir, 'Upwork', 'Cache'),
      capacityMinutes: claims.cache.capacityMinutes,
      clock: new FakeClock(built.marker.referenceNow),
    });
    const stats = store.stats();
    const rejectedCodes = store.rejected().map((r) => r.rejection!.code);
    await store.close();
    if (spec.settings?.snapshotEveryRecords) {
      // The settings reach the store: this scenario's cache was compacted (two snapshot
      // generations) and its journal rotated, and still holds exactly what it claims.
      const cache = path.join(dir, 'Upwork', 'Cache');
      expect(readdirSync(path.join(cache, 'state')).filter((n) => n.startsWith('snap-'))).toHaveLength(2);
      expect(readdirSync(path.join(cache, 'journal')).length).toBeGreaterThan(1);
    }
    expect({ segments: stats.pendingSegments, minutes: stats.pendingMinutes }).toEqual({
      segments: claims.cache.pendingSegments,
      minutes: claims.cache.pendingMinutes,
    });
    expect(stats.pendingMinutes).toBeLessThanOrEqual(claims.cache.capacityMinutes);
    expect(rejectedCodes).toEqual(claims.cache.rejectedCodes);
    expect(built.marker.clockOffsetMs).toBe(referenceNow(spec, REAL_NOW) - REAL_NOW);

    if (claims.contracts) {
      const list = JSON.parse(readFileSync(path.join(dir, 'engine', 'contracts.json'), 'utf8')) as {
        contracts: { id: string; status: string }[];
      };
      for (const [id, st] of Object.entries(claims.contracts)) {
        expect(list.contracts.find((c) => c.id === id)?.status, id).toBe(st);
      }
    }
    expect(built.refusals).toEqual(claims.refused ?? []);

    // The status and the logs record answers the tracker really got: every failed upload in the
    // log is the uploader's own failure of a real request, and the status's last error is one of them.
    const status = readStatus(dir);
    expect(status.state).toBe(claims.cache.status);
    const log = trackerLogText(dir);
    expect(log).toContain('app - starting Upwork');
    expect(log).toMatch(/cache - cache [\d.]+ h of 24 h/);
    for (const r of claims.refused ?? []) expect(log).toContain(`cannot start contract ${r.contract}`);
    const failedPosts = log.match(/\[ERROR\] upload - POST \S+ failed: /g) ?? [];
    const uploaderFailures = log.match(/\[WARN\] upload - upload failed \(attempt \d+\): /g) ?? [];
    expect(failedPosts.length).toBe(uploaderFailures.length);
    if (claims.cache.status === 'OFFLINE_CACHING' || claims.cache.status === 'CACHE_FULL') {
      expect(status.counters.attempts, 'caching after real attempts').toBeGreaterThan(0);
      expect(status.lastError).not.toBeNull();
      expect(log).toMatch(new RegExp(`upload failed \\(attempt \\d+\\): ${escapeRe(status.lastError!)}\\n`));
    }
    for (const code of new Set(claims.cache.rejectedCodes)) {
      const lines = log.match(new RegExp(`upload - \\S+ slot \\d+ rejected ${code}`, 'g')) ?? [];
      expect(lines.length, code).toBe(claims.cache.rejectedCodes.filter((c) => c === code).length);
    }

    // The doctor reads it, with the work-diary server running as a check runs it, and says what the
    // scenario claims: nothing is handed to it but the folder and the service's address.
    const finding = await cacheFindingOf(dir, name);
    const claim = claims.findings.find((f) => f.check === 'cache-fullness')!;
    expect({ status: finding.status, code: finding.code }, finding.summary).toEqual({
      status: claim.status,
      code: claim.code,
    });
  });

  it("device-conflict: the conflict is the server's answer to this tracker, kept in its own cache", async () => {
    const dir = tempDir('uwd-scn-conflict-');
    await buildScenario(await loadScenario('device-conflict'), dir, { now: REAL_NOW });
    // Without the server's storage or any server.json, the tracker's record of the answers it got
    // is enough: this is what a real install has.
    rmSync(path.join(dir, 'server'), { recursive: true, force: true });
    rmSync(path.join(dir, 'engine', 'server.json'), { force: true });
    const value = await collectCache(dir, {});
    expect(value.anotherDeviceLive).toBe(true);
    expect(value.rejected.map((r) => r.code)).toEqual(Array(5).fill('DEVICE_CONFLICT'));
    const finding = await cacheFullness.run(factsOf(dir, value));
    expect(finding.code).toBe('UWD-CACHE-006');
    expect(finding.details?.[0]).toMatch(/already refused 5 cached segments \(50 min\).*DEVICE_CONFLICT/);
  });

  it("a fault flag in server.json is not evidence: only the tracker's answers are", async () => {
    const dir = tempDir('uwd-scn-flag-');
    await buildScenario(await loadScenario('cache-near-lock'), dir, { now: REAL_NOW, useHelper: false });
    writeFileSync(
      path.join(dir, 'engine', 'server.json'),
      JSON.stringify({ url: 'https://127.0.0.1:1', faults: { deviceConflict: true, conflictDeviceId: 'x' } }),
    );
    const value = await collectCache(dir, {});
    expect(value.anotherDeviceLive).toBe(false);
    expect((await cacheFullness.run(factsOf(dir, value))).code).toBe('UWD-CACHE-005');
  });

  it("stuck-caching: the tracker's own TLS handshakes failed, while the service answers the doctor", async () => {
    const dir = tempDir('uwd-scn-stuck-');
    await buildScenario(await loadScenario('stuck-caching'), dir, { now: REAL_NOW, useHelper: false });
    const status = readStatus(dir);
    expect(status.lastError).toMatch(/^TLS handshake failed: .*alert protocol version/);
    // Three hours stuck: the app kept trying (hourly in the story), and every attempt failed.
    const failures = trackerLogText(dir).match(/upload failed \(attempt \d+\): TLS handshake failed/g) ?? [];
    expect(failures.length).toBeGreaterThanOrEqual(3);
    const finding = await cacheFindingOf(dir, 'stuck-caching');
    expect(finding.code).toBe('UWD-CACHE-007');
    expect(finding.details).toContain(`Last error: ${status.lastError}.`);
  });
});

interface StatusJson {
  state: string;
  lastError: string | null;
  counters: { attempts: number };
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function readStatus(dir: string): StatusJson {
  return JSON.parse(readFileSync(path.join(dir, 'engine', 'status.json'), 'utf8')) as StatusJson;
}

function targetOf(dir: string) {
  return { kind: 'scenario' as const, scenario: 'test', dataDir: dir, found: true, reason: 'test' };
}

async function collectCache(dir: string, options: { serviceUrl?: string; extraCaPem?: string }) {
  return cacheCollector.collect({
    ctx: createTestContext({ now: () => REAL_NOW }),
    target: targetOf(dir),
    options,
    signal: new AbortController().signal,
    source: () => undefined,
    waitingOn: () => undefined,
  });
}

function factsOf(dir: string, value: CacheFacts): Facts {
  return {
    factsVersion: 1,
    collectedAt: new Date(REAL_NOW).toISOString(),
    platform: 'linux',
    target: targetOf(dir),
    host: { hostname: 'h', os: 'linux', arch: 'x64', node: process.version },
    items: { cache: collected(value) },
  };
}

/** The cache-fullness finding on a built scenario, with its server started as a check starts it. */
async function cacheFindingOf(dir: string, name: string) {
  const logger = { debug: () => undefined };
  const session = await startEngineSession(dir, { logger } as never, { helper: false });
  try {
    const value = await collectCache(dir, { serviceUrl: session.serviceUrl, extraCaPem: session.caPem });
    expect(value.pendingMinutes, name).not.toBeNull();
    return await cacheFullness.run(factsOf(dir, value));
  } finally {
    await session.close();
  }
}
