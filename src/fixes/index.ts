/**
 * The fix registry, sorted by id. Fix ids are stable: checks name them in remediation.fixIds and
 * undo journals store them.
 */
import { antivirusExclusion } from './antivirus-exclusion.js';
import { cacheUpload } from './cache-upload.js';
import { clockSync } from './clock-sync.js';
import { dataDirPermissions } from './data-dir-permissions.js';
import { duplicates } from './duplicates.js';
import type { Fix } from './fix.js';
import { helperRestartGpu } from './helper-restart-gpu.js';
import { refreshContracts } from './refresh-contracts.js';
import { screenRecordingFix } from './screen-recording.js';
import { tlsProtocols } from './tls-protocols.js';

export const fixes: readonly Fix[] = [
  antivirusExclusion,
  cacheUpload,
  clockSync,
  dataDirPermissions,
  duplicates,
  helperRestartGpu,
  refreshContracts,
  screenRecordingFix,
  tlsProtocols,
];

export function fixById(id: string): Fix | undefined {
  return fixes.find((f) => f.id === id);
}
