/** `upwork-doctor [check]`: run the checks (the default command). Wiring only; the body loads lazily. */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { CommandHost } from '../host.js';
import {
  addNoInputOption,
  addOpenOption,
  addOutputOptions,
  addTargetOptions,
  idList,
  seconds,
  timeServerUrl,
} from '../options.js';

export function registerCheck(program: Command, host: CommandHost): void {
  const cmd = program
    .command('check', { isDefault: true })
    .description('run the checks (the default command)');
  addTargetOptions(cmd);
  cmd
    .option('--facts <file>', 'evaluate recorded facts instead of this machine')
    .option('--record <file>', "save this machine's facts (redacted) to a file")
    .option('--only <ids>', 'run only these checks (comma-separated)', idList)
    .option('--skip <ids>', 'skip these checks (comma-separated)', idList)
    .option('--list', 'list the checks and exit')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['text', 'json', 'junit', 'html'])
        .default('text'),
    )
    .option('--json', 'same as --format json')
    .option('--output <file>', 'write the report to a file instead of stdout')
    .option('--deadline <seconds>', 'one global deadline for the whole run', seconds.deadline, 15)
    .option('--time-server <url>', 'an extra time source for clock-skew, ntp://HOST:PORT', timeServerUrl)
    .option('--cpu-window <seconds>', 'how long helper-cpu samples', seconds.cpuWindow, 3)
    .option('--strict', 'warnings also make the exit code 1');
  addOpenOption(cmd);
  addOutputOptions(cmd);
  addNoInputOption(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ upwork-doctor                         check the installed tracker (or the embedded engine)
  $ upwork-doctor --json > report.json    machine-readable report
  $ upwork-doctor --only disk-space,data-dir
  $ upwork-doctor --scenario cache-full   reproduce a known problem on the embedded engine
  $ upwork-doctor --facts facts.json      re-run the checks on recorded facts
  $ upwork-doctor --format html --open    the report with charts, opened in the browser

Exit codes: 0 nothing failed, 1 a check failed (or warned with --strict), 2 usage error or a check
crashed, 3 the deadline cut the run short, 130 cancelled.`,
  );
  cmd.action(async (opts: Record<string, unknown>) => {
    const { runCheckCommand } = await import('../run-check.js');
    host.setExitCode(await runCheckCommand(opts as never, host));
  });
}
