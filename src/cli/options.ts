/** Option sets shared by several commands, so every command spells them the same way. */
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { LogLevel } from '../core/context.js';
import { parseTimeServer } from '../network/time-server.js';

export interface OutputFlags {
  /** Open the written HTML file with the system's viewer (commands that write HTML). */
  open?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
}

export interface TargetFlags {
  target?: 'auto' | 'installed' | 'embedded';
  dataDir?: string;
  appDir?: string;
  scenario?: string;
}

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--target <kind>', 'auto: the installed app if found, else the embedded engine')
        .choices(['auto', 'installed', 'embedded'])
        .default('auto'),
    )
    .option('--data-dir <dir>', "the tracker's data folder (overrides detection)")
    .option('--app-dir <dir>', 'the folder the Upwork app is installed in (overrides detection)')
    .option(
      '--scenario <name>',
      'a named problem reproduced on the embedded engine (see: upwork-doctor scenarios)',
    );
}

export function addOutputOptions(cmd: Command): Command {
  return cmd
    .option('-q, --quiet', 'only problems and the summary')
    .option('-v, --verbose', 'details, timings and debug logs on stderr')
    .option('--no-color', 'no colour (NO_COLOR and FORCE_COLOR are honoured too)');
}

/**
 * `--no-input`: never ask a question, for scripts that do have a terminal. Without a terminal, in
 * CI, with --yes or with a machine format nothing is asked either (cli/status-question.ts).
 */
export function addNoInputOption(cmd: Command): Command {
  return cmd.option(
    '--no-input',
    'never ask questions (nothing is asked without a terminal or in CI either)',
  );
}

/** `--open` for the commands that can write an HTML page. */
export function addOpenOption(cmd: Command): Command {
  return cmd.option(
    '--open',
    "open the written HTML file with the system's viewer (the path is printed too)",
  );
}

export function logLevelFor(flags: OutputFlags): LogLevel {
  if (flags.verbose) return 'debug';
  if (flags.quiet) return 'warn';
  return 'info';
}

export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number.`);
    return n;
  };
}

/**
 * A number option with its range, checked while parsing: one line naming the option, the range and
 * what was given. Every duration has an upper bound because Node's timers hold at most 2^31-1 ms
 * (24.8 days): a larger value fires at once ("--deadline 1e9" cut every check short in 35 ms).
 */
export function numberIn(name: string, min: number, max: number, unit = '') {
  const u = unit ? ` ${unit}` : '';
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be between ${min} and ${max}${u} (got "${value}").`);
    return n;
  };
}

/** The bounds of the duration options, in one place so every command takes the same range. */
export const seconds = {
  deadline: numberIn('--deadline', 1, 3600, 'seconds'),
  timeout: numberIn('--timeout', 0.1, 300, 'seconds'),
  cpuWindow: numberIn('--cpu-window', 0.5, 300, 'seconds'),
};

/** `--time-server`: checked while parsing, so a typo is a usage error and not a silent skip. */
export function timeServerUrl(value: string): string {
  try {
    parseTimeServer(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return value.trim();
}

export function idList(value: string, previous: string[] = []): string[] {
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // An empty list would select nothing, and then everything would run: say so instead.
  if (ids.length === 0)
    throw new InvalidArgumentError('It needs at least one check id, like disk-space,data-dir.');
  return [...previous, ...ids];
}
