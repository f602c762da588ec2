/** `upwork-doctor bundle`: the support ticket bundle. Wiring only; the body loads lazily. */
import type { Command } from 'commander';
import type { CommandHost } from '../host.js';
import { addNoInputOption, addOutputOptions, addTargetOptions, positiveNumber, seconds } from '../options.js';

export function registerBundle(program: Command, host: CommandHost): void {
  const cmd = program
    .command('bundle')
    .description('collect logs, the report and facts into one redacted archive for a support ticket');
  addTargetOptions(cmd);
  cmd
    .option('--ticket <id>', 'the support ticket id (goes into the file name and the manifest)')
    .option('--out <dir>', 'the folder to write the bundle to (default: the current folder)')
    .option('--encrypt-to <cert>', "encrypt the bundle to the support team's certificate (CMS, PEM or DER)")
    .option('--since <duration>', 'only logs changed within this time, e.g. 6h, 2d, 1w')
    .option('--max-size <MB>', 'size budget of the archive, compressed', positiveNumber('--max-size'), 50)
    .option('--include-screenshots', "also include the cache's screenshots (left out by default)")
    .option('-y, --yes', 'agree to what the bundle includes without being asked (for scripts)')
    .option('--json', 'print the path, size and sha256 as JSON')
    .option('--dry-run', 'list what the bundle would hold, and write nothing')
    .option('--deadline <seconds>', 'deadline for the doctor run inside the bundle', seconds.deadline, 15);
  addOutputOptions(cmd);
  addNoInputOption(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ upwork-doctor bundle --ticket 12345                 review what it includes, then save it
  $ upwork-doctor bundle --ticket 12345 --yes --json    for scripts
  $ upwork-doctor bundle --encrypt-to support.pem --since 2d
  $ upwork-doctor bundle --dry-run                      list what would go in, write nothing

Secrets and personal data (tokens, cookies, passwords, emails, user and host names) are redacted
before anything is written; the cache's contents are never included.`,
  );
  cmd.action(async (opts: Record<string, unknown>) => {
    const { runBundleCommand } = await import('../run-bundle.js');
    host.setExitCode(await runBundleCommand(opts as never, host));
  });
}
