/**
 * duplicate-installs: every installed copy of the Upwork app and its version (Windows Uninstall
 * keys, macOS app bundles, Linux packages, AppImages and /opt folders), and which of them run.
 * Why: a per-user and a per-machine copy, or a forgotten AppImage, means two trackers can run
 * against one work diary, or an old version keeps running after an update and logs time wrongly.
 * Warn on more than one copy (or a leftover uninstall entry); fail when two copies run at once or
 * an older one runs.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import { factValue } from '../core/facts.js';
import type { InstallRecord } from '../facts/installs.js';
import type { TrackerProcess } from '../facts/processes.js';

const DOCS = 'docs/checks/duplicate-installs.md';

/** Numeric-aware version order: 5.10.0 > 5.9.2; non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.\-+_ ]/);
  const pb = b.split(/[.\-+_ ]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

function norm(p: string): string {
  return p.replace(/\\/g, '/').replace(/\/+$/, '').toLowerCase();
}

/** The install a running process belongs to: the one whose folder holds its executable. */
export function installOf(
  proc: Pick<TrackerProcess, 'path'>,
  installs: readonly InstallRecord[],
): InstallRecord | undefined {
  if (!proc.path) return undefined;
  const exe = norm(proc.path);
  return installs
    .filter((i) => i.location && (exe === norm(i.location) || exe.startsWith(`${norm(i.location)}/`)))
    .sort((a, b) => b.location!.length - a.location!.length)[0];
}

function describe(i: InstallRecord): string {
  const where = i.location ?? i.ref;
  return `${i.name} ${i.version ?? '(version unknown)'} — ${i.source}${i.scope ? ` (${i.scope})` : ''}: ${where}${i.ghost ? ' [folder missing: leftover entry]' : ''}`;
}

export const duplicateInstalls = defineCheck({
  id: 'duplicate-installs',
  title: 'Duplicate installs',
  category: 'tracker',
  platforms: ['win32', 'darwin', 'linux'],
  needs: ['installs', 'processes'],
  docs: DOCS,
  codePrefix: 'UWD-DUP',
  run(facts) {
    const missing = missingFacts(this, facts, ['installs']);
    if (missing) return missing;
    const { installs, searched } = factValue(facts, 'installs')!;
    const procs = factValue(facts, 'processes');
    const real = installs.filter((i) => !i.ghost);
    const ghosts = installs.filter((i) => i.ghost);
    const details = installs.map(describe);
    if (!procs) details.push('Running copies could not be checked: the process list was not collected.');
    const evidence: Record<string, unknown> = { installs, searched };
    const removal = [...installs]
      .filter((i) => i.uninstall)
      .map((i) => `${i.name} ${i.version ?? ''}: ${i.uninstall}`.replace(/\s+:/, ':'));

    // Which copies run: by install folder, else by version, else by executable folder.
    const running = (procs?.tracker ?? []).filter((p) => p.role === 'app' || p.role === 'helper');
    const runningCopies = new Map<string, { version: string | null; pids: number[] }>();
    for (const p of running) {
      const inst = installOf(p, real);
      const version = p.version ?? inst?.version ?? null;
      const key =
        inst?.location ??
        (version ? `version ${version}` : p.path ? p.path.replace(/[\\/][^\\/]*$/, '') : undefined);
      if (!key) continue;
      const c = runningCopies.get(key) ?? { version, pids: [] };
      c.pids.push(p.pid);
      runningCopies.set(key, c);
    }
    evidence.running = [...runningCopies].map(([copy, c]) => ({ copy, ...c }));
    const newest = real
      .map((i) => i.version)
      .filter((v): v is string => Boolean(v))
      .sort(compareVersions)
      .pop();
    evidence.newestInstalled = newest ?? null;

    if (runningCopies.size > 1) {
      return {
        status: 'fail',
        code: 'UWD-DUP-004',
        summary: `${runningCopies.size} copies of the Upwork app are running at the same time, so they compete for the same work diary and time can be lost or doubled.`,
        details: [
          ...details,
          ...[...runningCopies].map(([k, c]) => `Running: ${k} (pid ${c.pids.join(', ')})`),
        ],
        evidence,
        remediation: {
          text: 'Quit every copy of Upwork, keep the newest one in the standard location, uninstall the others, then start Upwork again.',
          commands: removal,
          docsUrl: DOCS,
          fixIds: ['duplicates'],
        },
      };
    }
    const old = [...runningCopies].find(
      ([, c]) => c.version && newest && compareVersions(c.version, newest) < 0,
    );
    if (old) {
      return {
        status: 'fail',
        code: 'UWD-DUP-005',
        summary: `An older Upwork (${old[1].version}) is running although ${newest} is installed, so you are tracking with an outdated app.`,
        details: [...details, `Running: ${old[0]} (pid ${old[1].pids.join(', ')})`],
        evidence,
        remediation: {
          text: `Quit Upwork, uninstall version ${old[1].version}, and start the newest copy (${newest}).`,
          commands: removal,
          docsUrl: DOCS,
          fixIds: ['duplicates'],
        },
      };
    }
    if (real.length > 1) {
      return {
        status: 'warn',
        code: 'UWD-DUP-002',
        summary: `${real.length} copies of the Upwork app are installed; if both start, they compete for the same work diary.`,
        details,
        evidence,
        remediation: {
          text: 'Keep the newest copy in the standard location and uninstall the others.',
          commands: removal,
          docsUrl: DOCS,
          fixIds: ['duplicates'],
        },
      };
    }
    if (ghosts.length > 0) {
      return {
        status: 'warn',
        code: 'UWD-DUP-003',
        summary: `${ghosts.length} leftover Upwork uninstall ${ghosts.length === 1 ? 'entry points' : 'entries point'} to a folder that no longer exists, which can confuse updates.`,
        details,
        evidence,
        remediation: {
          text: 'Remove the leftover entry from Settings > Apps (or reinstall Upwork once, then uninstall the extra entry).',
          commands: ghosts.map((g) => `reg delete "${g.ref}"`),
          docsUrl: DOCS,
          fixIds: ['duplicates'],
        },
      };
    }
    if (real.length === 0) {
      return {
        status: 'pass',
        code: 'UWD-DUP-006',
        summary: 'No installed copy of the Upwork app was found, so there are no duplicates.',
        details: [`Searched: ${searched.join(', ')}`],
        evidence,
      };
    }
    return {
      status: 'pass',
      code: 'UWD-DUP-001',
      summary: `One copy of the Upwork app is installed (${real[0]!.version ?? 'version unknown'}).`,
      details,
      evidence,
    };
  },
});
