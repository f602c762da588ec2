/**
 * `upwork-doctor engine serve|track|status|upload`: run the reference tracker and its work-diary
 * server by hand, to watch the cache fill while offline and drain when back. Wiring only.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { CommandHost } from '../host.js';
import { numberIn } from '../options.js';

const FAULTS = ['offline', 'maintenance', 'slow', 'skew', 'old-tls', 'device-conflict', 'signed-out'];
const collect = (value: string, previous: string[] = []) => [...previous, value];
const integerIn = (name: string, min: number, max: number) => (value: string) => {
  const n = numberIn(name, min, max)(value);
  if (!Number.isInteger(n))
    throw new InvalidArgumentError(`${name} must be a whole number (got "${value}").`);
  return n;
};

/** 0 (as fast as possible) or 0.01 to 100000 simulated minutes per second: a pause stays a valid timer. */
const speed = (value: string) => {
  const n = numberIn('--speed', 0, 100000)(value);
  if (n > 0 && n < 0.01)
    throw new InvalidArgumentError(`--speed must be 0, or between 0.01 and 100000 (got "${value}").`);
  return n;
};

export function registerEngine(program: Command, host: CommandHost): void {
  const engine = program
    .command('engine')
    .description('run the reference tracker and work-diary server (serve, track, status, upload)');
  engine.addHelpText(
    'after',
    `
Try it:
  $ upwork-doctor engine serve                       # terminal 1: the work-diary server (Ctrl-C stops it)
  $ upwork-doctor engine track --contract c-1001 --memo "Fix bugs" --minutes 60
  $ upwork-doctor engine status                      # "Online", cache level, pending segments
  # stop the server (or: engine serve --fault offline), track again: the cache fills ("Offline (caching)")
  # start the server again, then:
  $ upwork-doctor engine upload                      # the cache drains ("Online and uploading" → "Online")`,
  );
  const run = (sub: string) => async (opts: Record<string, unknown>) => {
    const { runEngineCommand } = await import('../run-engine.js');
    host.setExitCode(await runEngineCommand(sub as never, opts as never));
  };
  const dataDir = (c: Command) =>
    c.option('--data-dir <dir>', "the engine's data folder (default: the embedded engine's)");

  dataDir(engine.command('serve').description('run the work-diary server in the foreground until Ctrl-C'))
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', integerIn('--port', 1, 65535))
    .addOption(new Option('--fault <name>', 'a fault mode (repeatable)').choices(FAULTS).argParser(collect))
    .option(
      '--skew <seconds>',
      'with --fault skew: how far the server clock runs ahead (negative: behind)',
      numberIn('--skew', -604800, 604800, 'seconds'),
      600,
    )
    .option('--slow <ms>', 'with --fault slow: delay per response', numberIn('--slow', 0, 60000, 'ms'), 3000)
    .action(run('serve'));

  dataDir(
    engine.command('track').description('track time on a contract with synthetic input (simulated time)'),
  )
    .requiredOption('--contract <id>', 'contract id (see engine status)')
    .requiredOption('--memo <text>', 'what you are working on')
    .option(
      '--minutes <n>',
      'how long to track (the last N minutes, replayed)',
      numberIn('--minutes', 1, 10080, 'minutes'),
      30,
    )
    .option('--speed <x>', 'simulated minutes per real second (0: as fast as possible)', speed, 60)
    .option('--json', 'print the final status as JSON')
    .action(run('track'));

  dataDir(engine.command('status').description('status label, cache level, pending and rejected segments'))
    .option('--json', 'machine-readable status')
    .action(run('status'));

  dataDir(engine.command('upload').description('upload the cache now (oldest first)'))
    .option('--json', 'print the result as JSON')
    .action(run('upload'));

  for (const c of engine.commands) c.exitOverride();
}
