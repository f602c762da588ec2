/**
 * The check registry, sorted by id. test/checks/registry.test.ts asserts that every file in this
 * folder is registered here, with a docs page and a test.
 */
import type { Check } from '../core/check.js';
import { antivirus } from './antivirus.js';
import { cacheFullness } from './cache-fullness.js';
import { clockSkew } from './clock-skew.js';
import { contracts } from './contracts.js';
import { dataDir } from './data-dir.js';
import { diskSpace } from './disk-space.js';
import { duplicateInstalls } from './duplicate-installs.js';
import { helperCpu } from './helper-cpu.js';
import { screenRecording } from './screen-recording.js';
import { supportedSystem } from './supported-system.js';
import { tlsSettings } from './tls-settings.js';
import { upworkConnection } from './upwork-connection.js';

export const checks: readonly Check[] = [
  antivirus,
  cacheFullness,
  clockSkew,
  contracts,
  dataDir,
  diskSpace,
  duplicateInstalls,
  helperCpu,
  screenRecording,
  supportedSystem,
  tlsSettings,
  upworkConnection,
];

export function checkById(id: string): Check | undefined {
  return checks.find((c) => c.id === id);
}
