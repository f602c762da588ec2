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
    .option('--app-dir <dir>', "the folder the Upwork app is installed in (overrides detection)")
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
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}
