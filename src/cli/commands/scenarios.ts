/** `upwork-doctor scenarios`: list the problems reproducible on the embedded engine. Wiring only. */
import type { Command } from 'commander';
import type { CommandHost } from '../host.js';

export function registerScenarios(program: Command, host: CommandHost): void {
  program
    .command('scenarios')
    .description('list the reproducible problems (use one with: upwork-doctor check --scenario NAME)')
    .option('--json', 'machine-readable list')
    .addHelpText(
      'after',
      `
Examples:
  $ upwork-doctor scenarios
  $ upwork-doctor check --scenario cache-full`,
    )
    .action(async (opts: { json?: boolean }) => {
      const { runScenariosCommand } = await import('../run-scenarios.js');
      host.setExitCode(await runScenariosCommand(opts));
    });
}
