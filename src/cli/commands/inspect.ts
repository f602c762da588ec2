/** `upwork-doctor inspect BUNDLE`: for support agents. Wiring only; the body loads lazily. */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { CommandHost } from '../host.js';
import { addOpenOption, addOutputOptions, numberIn } from '../options.js';

export function registerInspect(program: Command, host: CommandHost): void {
  const cmd = program
    .command('inspect')
    .description('verify a ticket bundle, summarise it and re-run the current checks on its facts')
    .argument('<bundle>', 'the bundle (.zip, .zip.p7m with --key, or the folder of an unzipped bundle)')
    .option('--key <file>', 'the private key to decrypt an encrypted bundle (PEM)')
    .option('--json', 'same as --format json')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json', 'html']).default('text'),
    )
    .option('--output <file>', 'write the result to a file instead of stdout')
    .option(
      '--hours <n>',
      'how many hours of log timeline to show',
      numberIn('--hours', 0.1, 8760, 'hours'),
      6,
    );
  addOpenOption(cmd);
  addOutputOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ upwork-doctor inspect upwork-doctor-12345-1a2b3c4d.zip
  $ upwork-doctor inspect upwork-doctor-12345-1a2b3c4d.zip.p7m --key support.key
  $ upwork-doctor inspect ./upwork-doctor-12345-1a2b3c4d/      an unzipped bundle
  $ upwork-doctor inspect upwork-doctor-12345-1a2b3c4d.zip --format html --output ticket.html --open

Exit codes: 0 the bundle is intact, 1 an entry was modified or is missing, 2 unreadable, damaged
or hostile (a part such as facts.json that cannot be read is named).`,
  );
  cmd.action(async (bundle: string, opts: Record<string, unknown>) => {
    const { runInspectCommand } = await import('../run-inspect.js');
    host.setExitCode(await runInspectCommand(bundle, opts as never, host));
  });
}
