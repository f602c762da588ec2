import { ExitCode } from './exit-codes.js';
import { TOOL_NAME } from './version.js';

/**
 * The one prefix of every error line the CLI prints, whatever the command (usage errors,
 * refusals, failures of `engine` subcommands): "upwork-doctor: error: …". Warnings likewise.
 */
export const ERROR_PREFIX = `${TOOL_NAME}: error: `;
export const WARNING_PREFIX = `${TOOL_NAME}: warning: `;

/** Expected and actionable: print the message only, no stack. Exit 2 by default. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Usage,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Already explained to the user; just exit with this code. */
export class ExitError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitError';
  }
}

/** A bug: print the stack and versions. */
export class InternalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InternalError';
  }
}

/** The user cancelled (Ctrl-C at a prompt): exit 130. */
export class CancelledError extends Error {
  constructor(message = 'Cancelled.') {
    super(message);
    this.name = 'CancelledError';
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
