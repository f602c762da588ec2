/**
 * helper-restart-gpu: restarts the Upwork Helper with `--enable-gpu`, the tracker's own documented
 * remedy for a Helper stuck in software rendering (`open Upwork.app --args --enable-gpu` on Mac).
 * On the embedded engine its real Helper process is restarted with the flag, only while tracking is
 * off (so no segment or screenshot is lost). For the installed app on macOS the exact command is
 * given, to run after quitting Upwork; on Windows and Linux what to do instead.
 * Why: a Helper spinning a CPU core drains the battery, heats the laptop and delays screenshots.
 */
import { WARN_OVER } from '../checks/helper-cpu.js';
import { factValue } from '../core/facts.js';
import { defineFix } from './actions.js';
import { OP_RESTART_HELPER, onEngine } from './engine-ops.js';
import { steps } from './fix.js';

export const GPU_FLAG = '--enable-gpu';
/** Exactly the command the tracker's documentation gives, for the installed app on macOS. */
export const MAC_RELAUNCH = 'open -a Upwork --args --enable-gpu';

export const helperRestartGpu = defineFix({
  id: 'helper-restart-gpu',
  title: 'Restart the Upwork Helper with GPU acceleration (--enable-gpu)',
  fixes: ['helper-cpu'],
  risk: 'confirm',
  platforms: ['win32', 'darwin', 'linux'],
  plan(facts) {
    const p = factValue(facts, 'processes');
    const hot = (p?.tracker ?? []).filter(
      (t) => (t.role === 'helper' || t.role === 'app') && t.cpuPercent !== null && t.cpuPercent > WARN_OVER,
    );
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
    return steps('helper-restart-gpu', [
      {
        title: `Quit Upwork completely and start it again (${busy})`,
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: [
            `Stop tracking first (the current 10-minute segment is then saved), then quit Upwork from its ${facts.platform === 'win32' ? 'tray icon' : 'menu'} so the Upwork Helper ends too, and start Upwork again.`,
            `The ${GPU_FLAG} switch is the documented remedy on macOS; on ${facts.platform === 'win32' ? 'Windows' : 'Linux'} update the graphics driver if the Helper keeps a core busy, and send support a bundle (upwork-doctor bundle).`,
          ],
        },
      },
    ]);
  },
});
