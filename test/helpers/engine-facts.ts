/** Shared builders for engine-shaped test data: a contract and the cache facts of an engine folder (or the installed app's). */
import type { Contract } from '../../src/engine/index.js';
import type { CacheFacts } from '../../src/facts/cache.js';

/** An active hourly contract with no limit, open since 2024, manual time allowed. */
export function testContract(over: Partial<Contract> = {}): Contract {
  return {
    id: 'c-1',
    title: 'API work',
    client: 'Acme',
    type: 'hourly',
    status: 'active',
    statusHistory: [],
    startDate: Date.UTC(2024, 0, 1),
    weeklyLimitHours: null,
    limitHistory: [{ at: Date.UTC(2024, 0, 1), hours: null }],
    manualTimeAllowed: true,
    activityRequired: false,
    activities: [],
    ...over,
  };
}

/** The cache facts of an empty engine cache, nothing known about its status; override what a test needs. */
export function engineCacheFacts(over: Partial<CacheFacts> = {}): CacheFacts {
  return {
    format: 'engine',
    cacheDir: '/data/Upwork/Cache',
    formatVersion: 'tracker-engine 1',
    pendingSegments: 0,
    pendingMinutes: 0,
    capacityMinutes: 1440,
    capacitySource: 'default',
    oldestPending: null,
    newestPending: null,
    rejected: [],
    quarantined: [],
    tornTail: null,
    damaged: [],
    status: null,
    probe: null,
    anotherDeviceLive: null,
    engineNow: null,
    files: { journalFiles: 1, journalBytes: 1, blobFiles: 0, blobBytes: 0, totalBytes: 1 },
    folders: [],
    ...over,
  };
}

/** The installed app's cache facts as the collector leaves them: format unknown, nothing counted. */
export function unknownCacheFacts(): CacheFacts {
  return engineCacheFacts({
    format: 'unknown',
    cacheDir: '/d',
    formatVersion: null,
    note: 'private format',
    pendingSegments: null,
    pendingMinutes: null,
    capacityMinutes: null,
    capacitySource: null,
  });
}
