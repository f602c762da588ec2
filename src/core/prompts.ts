/**
 * The one place that asks the person anything (enquirer, loaded only when a question is asked).
 * Answers are shown as words: a confirm reads "yes" or "no" once answered, never `true`/`false`.
 * Without a terminal (or in CI) nothing is asked: confirm throws a UserError naming the flag that
 * gives consent; select and input answer undefined (the caller then goes on without the answer).
 * enquirer has had no release since 2023; it is kept (DESIGN.md) but only this module imports it,
 * so replacing it touches one file.
 */
import type { Readable, Writable } from 'node:stream';
import { CancelledError, UserError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { escapeControl } from './format.js';

export interface Choice {
  /** What is returned. */
  value: string;
  /** What the person reads. */
  label: string;
}

export interface Prompts {
  /** Ask yes/no. Without a TTY (or in CI) it never asks: it throws a UserError naming `flagHint`. */
  confirm(message: string, opts?: { initial?: boolean; flagHint?: string }): Promise<boolean>;
  /** Pick one of `choices`; undefined when there is no terminal to ask on. */
  select?(message: string, choices: readonly Choice[]): Promise<string | undefined>;
  /** A line of free text (at most `maxLength` characters); undefined when there is no terminal. */
  input?(message: string, opts?: { maxLength?: number }): Promise<string | undefined>;
}

/** How an answer is shown once given. */
export function answerWords(value: unknown): string {
  if (value === true) return 'yes';
  if (value === false) return 'no';
  return String(value ?? '');
}

interface Streams {
  stdin?: Readable;
  stdout?: Writable;
}

async function ask<T>(question: Record<string, unknown>, streams: Streams): Promise<T> {
  const { default: enquirer } = await import('enquirer');
  try {
    const answer = (await enquirer.prompt({ name: 'answer', ...question, ...streams } as never)) as {
      answer: T;
    };
    return answer.answer;
  } catch (e) {
    // enquirer rejects with '' (or an Error) when the person presses Ctrl-C.
    if (e === '' || e === undefined) throw new CancelledError();
    throw e;
  }
}

function terminalRows(streams: Streams): number {
  const out = (streams.stdout ?? process.stdout) as Writable & { rows?: number };
  return out.rows ?? 0;
}

export function createPrompts(isInteractive: boolean, streams: Streams = {}): Prompts {
  return {
    async confirm(message, opts) {
      if (!isInteractive) {
        throw new UserError(
          `Not asking "${message}" without a terminal${opts?.flagHint ? `: pass ${opts.flagHint} to agree` : ''}.`,
          ExitCode.Failed,
        );
      }
      return ask<boolean>(
        {
          type: 'confirm',
          message,
          initial: opts?.initial ?? false,
          // Shown after the question, once answered (and while typing): words, not true/false.
          format(this: { styles: { primary(s: string): string } }, value: unknown) {
            return this.styles.primary(answerWords(value));
          },
        },
        streams,
      );
    },
    async select(message, choices) {
      if (!isInteractive) return undefined;
      const byLabel = new Map(choices.map((c) => [c.label, c.value]));
      const label = await ask<string>(
        {
          type: 'select',
          message,
          choices: choices.map((c) => ({ name: c.label })),
          // A terminal that reports no size (0 rows) made enquirer show "No matching choices".
          ...(terminalRows(streams) ? {} : { rows: choices.length + 1 }),
        },
        streams,
      );
      return byLabel.get(label);
    },
    async input(message, opts) {
      if (!isInteractive) return undefined;
      const text = await ask<string>({ type: 'input', message }, streams);
      // Typed words go into reports: bounded, and nothing a terminal would act on (escaped).
      return escapeControl(String(text ?? '')).slice(0, opts?.maxLength ?? 200);
    },
  };
}
