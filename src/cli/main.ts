/**
 * The CLI entry: argv in, exit code out. The only place that prints errors and picks the exit code
 * for them (DESIGN.md: House style).
 */
import { CommanderError } from 'commander';
import { processStderr } from '../core/context.js';
import { CancelledError, ERROR_PREFIX, ExitError, InternalError, UserError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { TOOL_NAME, toolVersion } from '../core/version.js';
import { buildProgram, unknownCommand } from './program.js';

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram({ setExitCode: (c) => void (exitCode = c) });
  const unknown = unknownCommand(program, argv);
  if (unknown) {
    process.stderr.write(`${unknown}\n`);
    return ExitCode.Usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    return handleError(e);
  }
}

export function handleError(e: unknown): number {
  if (e instanceof CommanderError) {
    // --help and --version end through here with code 0; usage errors were already printed.
    return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  if (e instanceof UserError) {
    processStderr()(`${ERROR_PREFIX}${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof ExitError) return e.exitCode;
  if (e instanceof CancelledError) {
    processStderr()(`${TOOL_NAME}: ${e.message}\n`);
    return ExitCode.Cancelled;
  }
  const err = e instanceof Error ? e : new InternalError(String(e));
  process.stderr.write(
    `${ERROR_PREFIX}internal error: ${err.message}\n` +
      `This is a bug in upwork-doctor ${toolVersion()} (Node ${process.version}, ${process.platform}-${process.arch}); please report it with the lines below.\n` +
      `${err.stack ?? ''}\n`,
  );
  return ExitCode.Usage;
}

/** Run as the process: wire signals, run, exit. Used by bin/upwork-doctor.js. */
export async function run(): Promise<void> {
  process.on('SIGINT', () => {
    process.stderr.write(`\n${TOOL_NAME}: cancelled.\n`);
    process.exit(ExitCode.Cancelled);
  });
  const fatal = (e: unknown) => {
    process.exitCode = handleError(e);
    process.exit();
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  const code = await main(process.argv.slice(2));
  // Flush stdout before exiting: a piped report must not be cut off.
  process.stdout.write('', () => process.exit(code));
}
