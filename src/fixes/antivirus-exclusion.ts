/**
 * antivirus-exclusion: for each active security product, the exact exclusion to add for the
 * tracker (its folders, process names and service hosts), and its settings opened on request.
 * Why: web shields and endpoint agents re-sign HTTPS, reset uploads and blank screenshots. The
 * doctor never changes a security product itself: adding an exclusion is always the user's (or the
 * IT team's) decision, so every step here is guidance.
 */
import type { Facts } from '../core/facts.js';
import { factValue } from '../core/facts.js';
import type { SecurityProduct } from '../facts/security.js';
import { defineFix } from './actions.js';
import type { OpenSpec, Step } from './fix.js';
import { steps } from './fix.js';

export const TRACKER_HOSTS = ['*.upwork.com', 'upwork.com'];

/**
 * The tracker's process names per OS (research/real-app-facts.md). Windows and Linux: one
 * executable, `Upwork.exe` / `upwork`, whose Electron children run the same file with `--type=…`
 * (verified: package manifests and the app's Electron build), so there is no "Upwork Helper" to
 * exclude there. macOS: `Upwork` and its helper apps (the helper names follow Electron's
 * conventions; not verified on the app).
 */
export function processNames(platform: string): string[] {
  if (platform === 'win32') return ['Upwork.exe'];
  if (platform === 'darwin')
    return [
      'Upwork',
      'Upwork Helper',
      'Upwork Helper (GPU)',
      'Upwork Helper (Renderer)',
      'Upwork Helper (Plugin)',
    ];
  return ['upwork'];
}

/** Upwork's own advice for a product, labelled as such (help center, HC-TS 211064058). */
function upworkAdviceFor(p: SecurityProduct, platform: string): string[] {
  if (p.vendor === 'Webroot' && platform === 'win32')
    return [
      "Upwork's advice for Webroot (help center, Troubleshooting): allow upwork.exe under Identity Protection.",
    ];
  return [];
}

function folders(facts: Facts): string[] {
  const installs = factValue(facts, 'installs')?.installs ?? [];
  const dirs = [
    ...(facts.target.installDirs ?? []),
    ...installs.filter((i) => !i.ghost && i.location).map((i) => i.location!),
  ];
  return [...new Set([...dirs, facts.target.dataDir])];
}

/** Where each product's exclusions live, when the OS can open it. */
function settingsFor(p: SecurityProduct, platform: string): OpenSpec | undefined {
  if (p.vendor === 'Microsoft' && platform === 'win32')
    return {
      target: 'windowsdefender://threatsettings',
      label: 'Windows Security > Virus & threat protection settings',
    };
  return undefined;
}

export const antivirusExclusion = defineFix({
  id: 'antivirus-exclusion',
  title: 'Exclude the tracker from your security software (you add it; nothing is changed for you)',
  fixes: ['antivirus'],
  risk: 'manual',
  platforms: ['win32', 'darwin', 'linux'],
  plan(facts) {
    const sec = factValue(facts, 'security');
    if (!sec) return [];
    const active = sec.products.filter((p) => p.state === 'on' || p.state === 'running');
    if (active.length === 0) return [];
    const dirs = folders(facts);
    const procs = processNames(facts.platform);
    const list: Omit<Step, 'id' | 'fixId'>[] = active.map((p) => {
      const defender = p.vendor === 'Microsoft' && facts.platform === 'win32';
      const open = settingsFor(p, facts.platform);
      return {
        title: `Add an exclusion for Upwork in ${p.name}`,
        action: {
          kind: 'manual',
          reason: defender ? 'needs-admin' : 'guidance',
          lines: [
            `Keep ${p.name} on. In its settings, add:`,
            `  folders:   ${dirs.join('; ')}`,
            `  processes: ${procs.join('; ')}`,
            `  web/HTTPS scanning exceptions: ${TRACKER_HOSTS.join(', ')}`,
            ...upworkAdviceFor(p, facts.platform),
            defender
              ? 'Defender exclusions need an administrator; in an administrator PowerShell:'
              : 'On a managed computer, send this list to your IT team instead.',
          ],
          ...(defender
            ? {
                command: `Add-MpPreference ${dirs.map((d) => `-ExclusionPath "${d}"`).join(' ')} ${procs.map((n) => `-ExclusionProcess "${n}"`).join(' ')}`,
              }
            : {}),
          ...(open ? { open } : {}),
        },
      };
    });
    list.push({
      title: 'Upload the cached time, then check again',
      action: {
        kind: 'manual',
        reason: 'guidance',
        lines: [
          'Restart Upwork so it reconnects, then run "upwork-doctor fix --only cache-upload" and "upwork-doctor".',
        ],
      },
    });
    return steps('antivirus-exclusion', list);
  },
});
