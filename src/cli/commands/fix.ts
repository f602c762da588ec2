/** `upwork-doctor fix`: plan, confirm, back up, apply and re-check the safe fixes. Wiring only. */
import type { Command } from 'commander';
import type { CommandHost } from '../host.js';
import { addOutputOptions, addTargetOptions, idList, seconds, timeServerUrl } from '../options.js';

export function registerFix(program: Command, host: CommandHost): void {
  const cmd = program
    .command('fix')
    .description(
      'apply the safe fixes for what the checks found (asks first; undo with "upwork-doctor undo")',
    );
  addTargetOptions(cmd);
  cmd
    .option('--dry-run', 'print the plan and change nothing')
    .option('-y, --yes', 'agree to every change without asking (needed without a terminal)')
    .option('--only <ids>', 'only these fixes (comma-separated fix ids, or check ids)', idList)
    .option('--deadline <seconds>', 'deadline for each round of checks', seconds.deadline, 15)
    .option('--time-server <url>', 'an extra time source for clock-skew, ntp://HOST:PORT', timeServerUrl)
    .option('--cpu-window <seconds>', 'how long helper-cpu samples', seconds.cpuWindow, 3);
  addOutputOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ upwork-doctor fix --dry-run           see exactly what would change
  $ upwork-doctor fix                     apply, asking before each change
  $ upwork-doctor fix --yes --only clock-sync
  $ upwork-doctor undo                    put back what the last fix run changed

Every change is saved first in the doctor's undo journal; after each fix its checks run again and
a fix that makes things worse is rolled back. The tracker's un-uploaded time is never deleted.

Exit codes: 0 every planned fix worked (or nothing to fix), 1 something is still failing or consent
is missing, 2 usage error or the tool failed, 130 cancelled.`,
  );
  cmd.action(async (opts: Record<string, unknown>) => {
    const { runFixCommand } = await import('../run-fix.js');
    host.setExitCode(await runFixCommand(opts as never, host));
  });
}
