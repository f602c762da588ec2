/**
 * helper-restart-gpu: restarts the tracker when one of its processes keeps a core busy. On macOS
 * that is Upwork's own advice for a busy Helper: quit, then `open -a Upwork --args --enable-gpu`.
 * Windows and Linux have no `Upwork Helper` and no such advice: quit `Upwork.exe` / `upwork` and
 * start it again (by the pid and path measured, never by name). On the embedded engine its real
 * Helper process is restarted with the flag, only while tracking is off (so no segment or
 * screenshot is lost).
 * Why: a Helper spinning a CPU core drains the battery, heats the laptop and delays screenshots.
 */
import { WARN_OVER, restartAdvice } from '../checks/helper-cpu.js';
import { factValue } from '../core/facts.js';
import { defineFix } from './actions.js';
import { OP_RESTART_HELPER, onEngine } from './engine-ops.js';
import { steps } from './fix.js';

export const GPU_FLAG = '--enable-gpu';
/** Exactly the command the tracker's documentation gives, for the installed app on macOS. */
export const MAC_RELAUNCH = 'open -a Upwork --args --enable-gpu';

export const helperRestartGpu = defineFix({
  id: 'helper-restart-gpu',
  title: "Restart the Upwork app (on macOS with GPU acceleration, Upwork's advice)",
  fixes: ['helper-cpu'],
  risk: 'confirm',
  platforms: ['win32', 'darwin', 'linux'],
  plan(facts) {
    const p = factValue(facts, 'processes');
    const hot = (p?.tracker ?? []).filter((t) => t.cpuPercent !== null && t.cpuPercent > WARN_OVER);
    if (hot.length === 0) return [];
    const worst = hot.reduce((a, b) => (b.cpuPercent! > a.cpuPercent! ? b : a));
    const busy = `${worst.name} (pid ${worst.pid}) used ${worst.cpuPercent} % of a core`;
    if (onEngine(facts)) {
      return steps('helper-restart-gpu', [
        {
          title: `Restart the Upwork Helper with ${GPU_FLAG} (${busy}); only while tracking is off`,
          action: {
            kind: 'engine',
            op: OP_RESTART_HELPER,
            args: { dataDir: facts.target.dataDir, flags: [GPU_FLAG] },
          },
        },
      ]);
    }
    if (facts.platform === 'darwin') {
      return steps('helper-restart-gpu', [
        {
          title: `Quit Upwork, then start it with ${GPU_FLAG} (${busy})`,
          action: {
            kind: 'manual',
            reason: 'guidance',
            lines: [
              'Stop tracking first (the current 10-minute segment is then saved), then quit Upwork (Upwork > Quit Upwork).',
              'Start it again with GPU acceleration, exactly:',
            ],
            command: MAC_RELAUNCH,
          },
        },
      ]);
    }
    const exe = facts.platform === 'win32' ? 'Upwork.exe' : 'upwork';
    const advice = restartAdvice(facts.platform, p?.tracker ?? []);
    return steps('helper-restart-gpu', [
      {
        title: `Quit Upwork completely and start ${exe} again (${busy})`,
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: [
            `Stop tracking first (the current 10-minute segment is then saved), then quit Upwork from its ${facts.platform === 'win32' ? 'tray icon' : 'tray menu'} so every ${exe} process of it ends, and start ${exe} again.`,
            `If it does not quit: ${advice.commands.join(', then ')}. If it keeps a core busy, send support a bundle (upwork-doctor bundle).`,
          ],
        },
      },
    ]);
  },
});
