/**
 * Commander wiring only. Each command registers its options here and lazy-imports its body, so
 * `--help` and `--version` never load systeminformation, node-forge or archiver.
 */
import { Command } from 'commander';
import { ERROR_PREFIX } from '../core/errors.js';
import { escapeControl } from '../core/format.js';
import { TOOL_NAME, toolVersion } from '../core/version.js';
import { registerCheck } from './commands/check.js';
import { registerNetwork } from './commands/network.js';
import { registerFix } from './commands/fix.js';
import { registerUndo } from './commands/undo.js';
import { registerBundle } from './commands/bundle.js';
import { registerInspect } from './commands/inspect.js';
import { registerEngine } from './commands/engine.js';
import { registerScenarios } from './commands/scenarios.js';
import type { CommandHost } from './host.js';

/** Usage errors come out as one line: "upwork-doctor: error: unknown option '--x' (Did you mean --json?)". */
const output = {
  writeOut: (s: string) => void process.stdout.write(s),
  writeErr: (s: string) => void process.stderr.write(s),
  outputError: (s: string, write: (s: string) => void) => {
    const line = s
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' ')
      .replace(/^error: /, '');
    write(`${ERROR_PREFIX}${line} (see --help)\n`);
  },
};

/** Letters to change to turn `a` into `b` (Levenshtein), for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * A first word that names no command. `check` is the default command and takes no words, so
 * commander would answer "too many arguments for 'check'"; say it is unknown and suggest the nearest.
 */
export function unknownCommand(program: Command, argv: readonly string[]): string | undefined {
  const first = argv[0];
  if (first === undefined || first.startsWith('-')) return undefined;
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  if (names.includes(first) || first === 'help') return undefined;
  const near = names.map((n) => ({ n, d: distance(first.toLowerCase(), n) })).sort((x, y) => x.d - y.d)[0];
  const hint =
    near && near.d <= Math.max(2, Math.floor(near.n.length / 3)) ? ` (Did you mean ${near.n}?)` : '';
  return `${ERROR_PREFIX}unknown command '${escapeControl(first)}'${hint} (see --help)`;
}

/** Every command's registration, in help order. */
const registrations: ((program: Command, host: CommandHost) => void)[] = [
  registerCheck,
  registerFix,
  registerUndo,
  registerNetwork,
  registerBundle,
  registerInspect,
  registerEngine,
  registerScenarios,
];

export function buildProgram(host: CommandHost): Command {
  const program = new Command(TOOL_NAME)
    .description(
      'Support toolkit for the Upwork desktop time tracker: find out why time is not logging, fix it safely, and send support a clean log bundle.',
    )
    .version(toolVersion(), '-V, --version', 'print the version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput(output);
  program.addHelpText(
    'after',
    `
Examples:
  $ upwork-doctor                     run the checks on this machine
  $ upwork-doctor check --help        every option of the checks

Exit codes: 0 ok, 1 a check failed, 2 usage error or the tool failed, 3 deadline, 130 cancelled.`,
  );
  for (const register of registrations) register(program, host);
  // Subcommands, nested ones too (engine serve, ...), share the root's error handling.
  const share = (cmds: readonly Command[]): void => {
    for (const cmd of cmds) {
      cmd.exitOverride().configureOutput(output);
      share(cmd.commands);
    }
  };
  share(program.commands);
  return program;
}
