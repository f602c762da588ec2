/** `upwork-doctor inspect BUNDLE`: for support agents. Wiring only; the body loads lazily. */
import type { Command } from 'commander';
import type { CommandHost } from '../host.js';
import { addOutputOptions, positiveNumber } from '../options.js';

export function registerInspect(program: Command, host: CommandHost): void {
  const cmd = program
    .command('inspect')
    .description('verify a ticket bundle, summarise it and re-run the current checks on its facts')
    .argument('<bundle>', 'the bundle (.zip, or .zip.p7m with --key)')
    .option('--key <file>', 'the private key to decrypt an encrypted bundle (PEM)')
    .option('--json', 'print the result as JSON')
    .option('--hours <n>', 'how many hours of log timeline to show', positiveNumber('--hours'), 6);
  addOutputOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ upwork-doctor inspect upwork-doctor-12345-1a2b3c4d.zip
  $ upwork-doctor inspect upwork-doctor-12345-1a2b3c4d.zip.p7m --key support.key

Exit codes: 0 the bundle is intact, 1 an entry was modified or is missing, 2 unreadable or hostile.`,
  );
  cmd.action(async (bundle: string, opts: Record<string, unknown>) => {
    const { runInspectCommand } = await import('../run-inspect.js');
    host.setExitCode(await runInspectCommand(bundle, opts as never, host));
  });
}
