/**
 * "You said": what the person reads on the Upwork app's status line, asked on a terminal when
 * nothing else can tell how the installed app's offline cache stands (issue 11 item 3). The real
 * app's cache format is not public and its logs do not always settle it; the person can see the
 * status line ("Online", "Online and uploading", "Offline (caching)") that the app shows.
 *
 * The answer is a tracker fact like any other (scope 'tracker', source kind 'person'): it is
 * recorded by --record, carried in a bundle's facts.json and replayed by --facts without asking
 * again. The question is asked by the CLI after the run (cli/status-question.ts), never by the
 * runner: a person may take longer to answer than any collector timeout, and questions must not
 * interleave with the collectors' progress lines.
 */
import type { Context } from '../core/context.js';
import type { CollectedFact } from '../core/facts.js';
import { collected } from '../core/facts.js';
import type { Choice } from '../core/prompts.js';
import { weekLockOf } from '../engine/protocol.js';

/** The status line's words, as the app shows them (HC-Cache 214754938), or none of them. */
export type AppStatus = 'online' | 'uploading' | 'caching' | 'other';
export type StatusSince = 'under-1h' | '1-6h' | '6-24h' | 'over-24h' | 'unknown';

export interface StatusAnswer {
  question: string;
  /** The answer as the person picked or typed it. */
  answer: string;
}

export interface StatusReport {
  /** When the question was asked (ISO time): "since when" counts back from here. */
  askedAt: string;
  status: AppStatus;
  /** How long the status has shown; null when not asked (a status that is none of the three). */
  since: StatusSince | null;
  /** Every question and its answer, in the person's words. */
  answers: StatusAnswer[];
}

declare module '../core/facts.js' {
  interface FactMap {
    statusReport: StatusReport;
  }
}

export const STATUS_QUESTION = "What does the Upwork app's status line say (at the top of its window)?";
export const SINCE_QUESTION = 'Since when has it said that?';
export const WORDS_QUESTION = 'What does it say instead? (Enter to leave it out)';

export const STATUS_CHOICES: readonly (Choice & { value: AppStatus })[] = [
  { value: 'online', label: 'Online' },
  { value: 'uploading', label: 'Online and uploading' },
  { value: 'caching', label: 'Offline (caching)' },
  { value: 'other', label: 'something else' },
];

export const SINCE_CHOICES: readonly (Choice & { value: StatusSince })[] = [
  { value: 'under-1h', label: 'under 1 hour' },
  { value: '1-6h', label: '1–6 hours' },
  { value: '6-24h', label: '6–24 hours' },
  { value: 'over-24h', label: 'more than 24 hours' },
  { value: 'unknown', label: "don't know" },
];

/** The bounds, in hours, of each "since when" answer; null when the person does not know. */
export const SINCE_HOURS: Record<StatusSince, readonly [number, number] | null> = {
  'under-1h': [0, 1],
  '1-6h': [1, 6],
  '6-24h': [6, 24],
  'over-24h': [24, Infinity],
  unknown: null,
};

const labelOf = (choices: readonly Choice[], value: string | null): string =>
  choices.find((c) => c.value === value)?.label ?? String(value);

export const statusWords = (r: Pick<StatusReport, 'status'>): string => labelOf(STATUS_CHOICES, r.status);
export const sinceWords = (r: Pick<StatusReport, 'since'>): string => labelOf(SINCE_CHOICES, r.since);

/**
 * Ask the questions. Undefined when there is no terminal to ask on (the prompts then answer
 * nothing); a Ctrl-C is the prompts' CancelledError and ends the run.
 */
export async function askStatusReport(
  ctx: Pick<Context, 'prompts' | 'now'>,
): Promise<StatusReport | undefined> {
  const { select, input } = ctx.prompts;
  if (!select) return undefined;
  const askedAt = new Date(ctx.now()).toISOString();
  const status = (await select(STATUS_QUESTION, STATUS_CHOICES)) as AppStatus | undefined;
  if (!status) return undefined;
  const answers: StatusAnswer[] = [{ question: STATUS_QUESTION, answer: labelOf(STATUS_CHOICES, status) }];
  if (status === 'other') {
    const words = input ? ((await input(WORDS_QUESTION, { maxLength: 120 })) ?? '').trim() : '';
    if (words) answers.push({ question: WORDS_QUESTION, answer: words });
    return { askedAt, status, since: null, answers };
  }
  const since = ((await select(SINCE_QUESTION, SINCE_CHOICES)) as StatusSince | undefined) ?? 'unknown';
  answers.push({ question: SINCE_QUESTION, answer: labelOf(SINCE_CHOICES, since) });
  return { askedAt, status, since, answers };
}

/** The answer as a fact: a tracker fact whose source is the person. */
export function statusReportFact(report: StatusReport): CollectedFact<StatusReport> {
  return {
    ...collected(report, [{ kind: 'person', ref: 'asked on the terminal' }]),
    scope: 'tracker',
  };
}

/** The line every finding built on the answer shows: what the person said, and when. */
export function youSaid(r: StatusReport): string {
  const asked = `${r.askedAt.slice(0, 16).replace('T', ' ')} UTC`;
  if (r.since)
    return `You said: the status line reads "${statusWords(r)}", for ${sinceWords(r)} (asked ${asked}).`;
  const words = r.answers.slice(1).map((a) => a.answer);
  const other = words[0] ? `reads "${words[0]}"` : 'says something other than Online or Offline';
  return `You said: the status line ${other} (asked ${asked}).`;
}

/** When the Work Diary of the week holding `t` locks (Monday 12:00 UTC after it ends). */
export const weekLockAt = (t: number): number => weekLockOf(t);
