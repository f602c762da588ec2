/**
 * duplicates: stops the running copies of Upwork other than the newest (each stop asked for, undone
 * by starting that copy again), and guides the uninstall of the older installs with their exact
 * uninstaller. It never deletes an install folder itself: an uninstaller knows what is safe to
 * remove, and a hand-deleted folder leaves the uninstall entries behind.
 * Why: two trackers against one work diary lose or double time; an old copy logs time wrongly.
 */
import { compareVersions, installOf } from '../checks/duplicate-installs.js';
import { factValue } from '../core/facts.js';
import type { InstallRecord } from '../facts/installs.js';
import { defineFix } from './actions.js';
import type { Step } from './fix.js';
import { steps } from './fix.js';

/** The copy to keep: the newest version; among equals, the one listed first. */
export function copyToKeep(installs: readonly InstallRecord[]): InstallRecord | undefined {
  const real = installs.filter((i) => !i.ghost);
  return [...real].sort((a, b) => compareVersions(b.version ?? '0', a.version ?? '0'))[0];
}

function label(i: InstallRecord): string {
  return `${i.name} ${i.version ?? '(version unknown)'} (${i.location ?? i.ref})`;
}

export const duplicates = defineFix({
  id: 'duplicates',
  title: 'Keep one copy of Upwork: stop the others and uninstall the older ones',
  fixes: ['duplicate-installs'],
  risk: 'confirm',
  platforms: ['win32', 'darwin', 'linux'],
  plan(facts) {
    const inst = factValue(facts, 'installs');
    if (!inst) return [];
    const procs = factValue(facts, 'processes')?.tracker ?? [];
    const keep = copyToKeep(inst.installs);
    const real = inst.installs.filter((i) => !i.ghost);
    const list: Omit<Step, 'id' | 'fixId'>[] = [];

    // Stop the main process of every running copy but the kept one (its helpers end with it). When
    // the kept copy is not running, one copy of unknown origin stays; older known copies all stop.
    const running = procs.filter((p) => p.role === 'app' && p.path);
    const isKept = (p: (typeof running)[number]) => keep !== undefined && installOf(p, real) === keep;
    let stop = running.filter((p) => !isKept(p));
    if (stop.length === running.length) {
      const unknown = running.find((p) => installOf(p, real) === undefined);
      if (unknown) stop = stop.filter((p) => p !== unknown);
    }
    for (const p of stop) {
      const own = installOf(p, real);
      list.push({
        title: `Stop ${own ? label(own) : p.path} (pid ${p.pid})`,
        action: {
          kind: 'stop-process',
          pid: p.pid,
          name: p.name,
          exe: p.path!,
          relaunch: { file: p.path!, args: [] },
        },
      });
    }

    for (const i of real.filter((r) => r !== keep)) {
      list.push({
        title: `Uninstall ${label(i)}`,
        action: {
          kind: 'manual',
          reason:
            i.scope?.startsWith('machine') || i.source === 'dpkg' || i.source === 'rpm'
              ? 'needs-admin'
              : 'guidance',
          lines: [
            `Keep ${keep ? label(keep) : 'the newest copy'}. Remove this one with its uninstaller${facts.platform === 'win32' ? ' (Settings > Apps, or the command below)' : ''}; do not delete its folder by hand.`,
          ],
          ...(i.uninstall ? { command: i.uninstall } : {}),
        },
      });
    }
    for (const g of inst.installs.filter((i) => i.ghost)) {
      list.push({
        title: `Remove the leftover uninstall entry ${g.ref}`,
        action: {
          kind: 'manual',
          reason: g.scope?.startsWith('machine') ? 'needs-admin' : 'guidance',
          lines: [
            'Its folder is gone. Reinstall Upwork once and uninstall it from Settings > Apps, or remove the entry:',
          ],
          command: `reg delete "${g.ref}" /f`,
        },
      });
    }
    return steps('duplicates', list);
  },
});
