/**
 * disk-space: free space on the volume that holds the tracker's data folder.
 * Why: the tracker writes its offline time cache, screenshots and logs there; a full disk means
 * tracked time cannot be saved. Warn under 1 GiB, fail under 200 MiB.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import { factValue } from '../core/facts.js';
import { GiB, MiB, formatBytes } from '../core/format.js';

export const WARN_BELOW = 1 * GiB;
export const FAIL_BELOW = 200 * MiB;

export const diskSpace = defineCheck({
  id: 'disk-space',
  title: 'Disk space',
  category: 'system',
  platforms: ['win32', 'darwin', 'linux'],
  needs: ['disk'],
  docs: 'docs/checks/disk-space.md',
  codePrefix: 'UWD-DISK',
  run(facts) {
    const missing = missingFacts(this, facts);
    if (missing) return missing;
    const d = factValue(facts, 'disk')!;
    const evidence = {
      path: d.path,
      freeBytes: d.freeBytes,
      totalBytes: d.totalBytes,
      warnBelow: WARN_BELOW,
      failBelow: FAIL_BELOW,
    };
    const free = formatBytes(d.freeBytes);
    const details = [`${free} free of ${formatBytes(d.totalBytes)} on the volume holding ${d.path}.`];
    const fix = {
      text: 'Free up space on this drive: empty the trash, remove large downloads, or move files elsewhere. Do not delete the Upwork folder: it holds time not yet uploaded.',
      docsUrl: 'docs/checks/disk-space.md',
    };
    if (d.freeBytes < FAIL_BELOW) {
      return {
        status: 'fail',
        code: 'UWD-DISK-003',
        summary: `Only ${free} free on the tracker's drive: tracked time and screenshots may not be saved.`,
        details,
        evidence,
        remediation: fix,
      };
    }
    if (d.freeBytes < WARN_BELOW) {
      return {
        status: 'warn',
        code: 'UWD-DISK-002',
        summary: `Only ${free} free on the tracker's drive: the offline cache could run out of room.`,
        details,
        evidence,
        remediation: fix,
      };
    }
    return {
      status: 'pass',
      code: 'UWD-DISK-001',
      summary: `${free} free on the tracker's drive.`,
      details,
      evidence,
    };
  },
});
