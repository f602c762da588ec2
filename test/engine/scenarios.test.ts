/**
 * Every scenario is built through the real engine (tracker, journal store, HTTPS server, uploader,
 * Helper process) and produces the state it claims: cache level, status, rejections, refusals,
 * contract statuses, server faults, Helper mode, and the cache-fullness finding.
 * Needs the built Helper script (npm run build).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheFullness } from '../../src/checks/cache-fullness.js';
import { createTestContext } from '../../src/core/context.js';
import type { Facts } from '../../src/core/facts.js';
import { collected } from '../../src/core/facts.js';
import { cacheCollector } from '../../src/facts/cache.js';
import { openStore } from '../../src/engine/store/store.js';
import { FakeClock } from '../../src/engine/clock.js';
import { buildScenario, listScenarios, loadScenario, referenceNow } from '../../src/engine/scenarios.js';
import type { ScenarioMarker } from '../../src/engine/scenarios.js';
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

    const status = JSON.parse(readFileSync(path.join(dir, 'engine', 'status.json'), 'utf8')) as {
      state: string;
    };
    expect(status.state).toBe(claims.cache.status);

    const marker = JSON.parse(
      readFileSync(path.join(dir, 'engine', 'scenario.json'), 'utf8'),
    ) as ScenarioMarker;
    expect(marker.faults).toEqual(claims.serverFaults);
    expect(marker.helper).toEqual({ mode: claims.helperMode, enableGpu: claims.helperGpu });
    expect(marker.clockOffsetMs).toBe(referenceNow(spec, REAL_NOW) - REAL_NOW);

    if (claims.contracts) {
      const list = JSON.parse(readFileSync(path.join(dir, 'engine', 'contracts.json'), 'utf8')) as {
        contracts: { id: string; status: string }[];
      };
      for (const [id, st] of Object.entries(claims.contracts)) {
        expect(list.contracts.find((c) => c.id === id)?.status, id).toBe(st);
      }
    }
    expect(built.refusals).toEqual(claims.refused ?? []);

    // The logs tell the same story.
    const log = trackerLogText(dir);
    expect(log).toContain('app - starting Upwork');
    expect(log).toMatch(/cache - cache [\d.]+ h of 24 h/);
    for (const r of claims.refused ?? []) expect(log).toContain(`cannot start contract ${r.contract}`);

    // The doctor reads it and says what the scenario claims. (The server is not running here, so
    // the stuck scenario's "service reachable" comes from a probe of a live server in the e2e test.)
    const ctx = createTestContext({ now: () => REAL_NOW });
    const value = await cacheCollector.collect({
      ctx,
      target: { kind: 'scenario', scenario: name, dataDir: dir, found: true, reason: 'test' },
      options: {},
      signal: new AbortController().signal,
      source: () => undefined,
      waitingOn: () => undefined,
    });
    expect(value.pendingMinutes).toBe(claims.cache.pendingMinutes);
    const probe =
      name === 'stuck-caching' ? { url: 'https://127.0.0.1:1/v1/health', reachable: true } : value.probe;
    const facts: Facts = {
      factsVersion: 1,
      collectedAt: new Date(REAL_NOW).toISOString(),
      platform: 'linux',
      target: { kind: 'scenario', scenario: name, dataDir: dir, found: true, reason: 'test' },
      host: { hostname: 'h', os: 'linux', arch: 'x64', node: process.version },
      items: {
        cache: collected({
          ...value,
          probe,
          anotherDeviceLive: marker.faults.deviceConflict ? true : value.anotherDeviceLive,
        }),
      },
    };
    const claim = claims.findings.find((f) => f.check === 'cache-fullness')!;
    const finding = await cacheFullness.run(facts);
    expect({ status: finding.status, code: finding.code }).toEqual({
      status: claim.status,
      code: claim.code,
    });
  });
});
