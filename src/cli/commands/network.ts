/** `upwork-doctor network`: stage-by-stage reachability of the tracker's endpoints. Wiring only. */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { CommandHost } from '../host.js';
import { addOpenOption, addOutputOptions, addTargetOptions, seconds } from '../options.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerNetwork(program: Command, host: CommandHost): void {
  const cmd = program
    .command('network')
    .description("check whether the tracker's traffic gets through, and where it stops (for IT admins)");
  addTargetOptions(cmd);
  cmd
    .option('--endpoint <url>', 'an endpoint to probe (repeatable; https, http, wss or ws)', collect)
    .option('--endpoints <file>', 'a file of endpoints (one URL per line, or JSON)')
    .option('--proxy <url|auto|none>', 'auto: as the tracker decides; none: direct; or a proxy URL', 'auto')
    .option('--pac <file|url>', 'a PAC file to decide the proxy with')
    .option('--ca <file>', 'extra trusted root certificates, PEM (repeatable)', collect)
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['text', 'json', 'junit', 'html'])
        .default('text'),
    )
    .option('--json', 'same as --format json')
    .option('--output <file>', 'write the report to a file instead of stdout')
    .option('--timeout <seconds>', 'timeout of each stage', seconds.timeout, 5)
    .option('--deadline <seconds>', 'deadline for the whole command', seconds.deadline, 30);
  addOpenOption(cmd);
  addOutputOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Stages, in order, per endpoint: proxy → dns → tcp → tls → http → websocket. The first failing stage
is the verdict. Credentials in proxy URLs are used but never printed.

Examples:
  $ upwork-doctor network
  $ upwork-doctor network --proxy http://proxy.corp:3128 --format junit > network.xml
  $ upwork-doctor network --endpoint https://www.upwork.com/ --pac http://wpad.corp/proxy.pac
  $ upwork-doctor network --format html --output network.html --open

Exit codes: 0 every endpoint reachable, 1 an endpoint failed, 2 usage error, 3 the deadline was hit.`,
  );
  cmd.action(async (opts: Record<string, unknown>) => {
    const { runNetworkCommand } = await import('../run-network.js');
    host.setExitCode(await runNetworkCommand(opts as never));
  });
}
