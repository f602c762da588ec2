/** `upwork-doctor undo [RUN]`: restore what a fix run changed. Wiring only. */
import type { Command } from 'commander';
import type { CommandHost } from '../host.js';
import { addOutputOptions, addTargetOptions } from '../options.js';

export function registerUndo(program: Command, host: CommandHost): void {
  const cmd = program
    .command('undo')
    .argument('[run]', 'the fix run to undo (default: the last one); see --list')
    .description('put back what a fix run changed, from the undo journal')
    .option('--list', 'list the fix runs that can be undone');
  // The same target options as fix: they pick the last run on that tracker (and refuse a run on another).
  addTargetOptions(cmd);
  addOutputOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ upwork-doctor undo                    undo the last fix run
  $ upwork-doctor undo --list             list the runs
  $ upwork-doctor undo 20261118-100000-ab12
  $ upwork-doctor undo --scenario cache-75  undo the last fix run on that scenario

Exit codes: 0 restored (or nothing to undo), 1 something could not be restored, 2 usage error.`,
  );
  cmd.action(async (run: string | undefined, opts: Record<string, unknown>) => {
    const { runUndoCommand } = await import('../run-undo.js');
    host.setExitCode(await runUndoCommand(run, opts as never, host));
  });
}
