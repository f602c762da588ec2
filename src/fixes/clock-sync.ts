/**
 * clock-sync: turns on automatic time sync where this user may (Linux: `timedatectl set-ntp true`,
 * without a password prompt), and otherwise prints the exact admin command and opens the date and
 * time settings. A clock off by whole hours is a wrong time zone: only the user can pick the right
 * one, so that is guidance. Undo turns automatic sync back off only if the fix turned it on.
 * Why: the service judges tracked time by its own clock; a skewed clock gets segments rejected or
 * filed in the wrong hours, and certificates look expired.
 */
import type { Facts } from '../core/facts.js';
import { factValue } from '../core/facts.js';
import { looksLikeTimeZone, NO_TIMEDATECTL_COMMANDS } from '../checks/clock-skew.js';
import { defineFix } from './actions.js';
import type { OpenSpec, Step } from './fix.js';
import { steps } from './fix.js';

const SETTINGS: Record<string, OpenSpec> = {
  win32: { target: 'ms-settings:dateandtime', label: 'Settings > Time & language > Date & time' },
  darwin: {
    target: 'x-apple.systempreferences:com.apple.Date-Time-Settings.extension',
    label: 'System Settings > General > Date & Time',
  },
};

const ADMIN_ENABLE: Record<string, string> = {
  win32:
    'w32tm /config /syncfromflags:manual /manualpeerlist:time.windows.com /update && net start w32time && w32tm /resync',
  darwin: 'sudo systemsetup -setusingnetworktime on',
  linux: 'sudo timedatectl set-ntp true',
};

const ADMIN_RESYNC: Record<string, string> = {
  win32: 'w32tm /resync /force',
  darwin: 'sudo sntp -sS time.apple.com',
  linux: 'sudo systemctl restart systemd-timesyncd',
};

function offsetMs(facts: Facts): number | undefined {
  const c = factValue(facts, 'clock');
  return c?.service?.offsetMs ?? c?.sntp?.offsetMs;
}

export const clockSync = defineFix({
  id: 'clock-sync',
  title: 'Keep your clock right: turn on automatic time sync',
  fixes: ['clock-skew'],
  risk: 'confirm',
  platforms: ['win32', 'darwin', 'linux'],
  plan(facts) {
    const c = factValue(facts, 'clock');
    if (!c) return [];
    const p = facts.platform;
    const settings = SETTINGS[p];
    const list: Omit<Step, 'id' | 'fixId'>[] = [];
    const off = offsetMs(facts);
    if (off !== undefined && Math.abs(off) > 30_000 && looksLikeTimeZone(off)) {
      list.push({
        title: 'Set the right time zone (not the time)',
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: [
            `Your clock is off by almost exactly ${Math.round(Math.abs(off) / 900_000) / 4} h: pick your real time zone in the date and time settings, and let the time be set automatically.`,
            `The time zone is now ${c.timeZone}.`,
          ],
          ...(p === 'linux'
            ? { command: 'timedatectl list-timezones; sudo timedatectl set-timezone <Region/City>' }
            : {}),
          ...(settings ? { open: settings } : {}),
        },
      });
    }
    if (c.sync.automatic === false && p === 'linux' && c.sync.source === 'timedatectl') {
      list.push({
        title: 'Turn on automatic time sync (NTP)',
        action: {
          kind: 'exec',
          // --no-ask-password: where polkit wants a password, fail at once instead of waiting.
          command: { file: 'timedatectl', args: ['--no-ask-password', 'set-ntp', 'true'] },
          done: {
            command: { file: 'timedatectl', args: ['show', '--property=NTP', '--value'] },
            stdoutMatches: '^yes\\s*$',
          },
          undo: { file: 'timedatectl', args: ['--no-ask-password', 'set-ntp', 'false'] },
        },
      });
    } else if (c.sync.automatic === false) {
      list.push({
        title: 'Turn on "Set time automatically"',
        action: {
          kind: 'manual',
          reason: 'needs-admin',
          lines: ['Turn on automatic date and time in the settings, or run as an administrator:'],
          command: ADMIN_ENABLE[p] ?? ADMIN_ENABLE.linux!,
          ...(settings ? { open: settings } : {}),
        },
      });
    } else if (off !== undefined && Math.abs(off) > 30_000) {
      // No timedatectl (no systemd): the check's alternatives, never a systemd command.
      const noSystemd = p === 'linux' && c.sync.source !== 'timedatectl';
      list.push({
        title: 'Sync the clock now',
        action: {
          kind: 'manual',
          reason: 'needs-admin',
          lines: [
            noSystemd
              ? `timedatectl is not available here: sync with chrony (below), or with ntpdate: ${NO_TIMEDATECTL_COMMANDS[1]}; or in your desktop's date and time settings.`
              : c.sync.automatic === true
                ? 'Automatic time is on but the clock is still off: force a sync (administrator), or use "Sync now" in the settings:'
                : 'Make sure automatic time is on, then force a sync (administrator):',
          ],
          command: noSystemd ? NO_TIMEDATECTL_COMMANDS[0]! : (ADMIN_RESYNC[p] ?? ADMIN_RESYNC.linux!),
          ...(settings ? { open: settings } : {}),
        },
      });
    }
    if (list.length > 0)
      list.push({
        title: 'Restart Upwork, then check again',
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: [
            'The tracker reads the clock when it starts: quit Upwork and open it again, then run "upwork-doctor".',
          ],
        },
      });
    return steps('clock-sync', list);
  },
});
