/**
 * Asking the person when nothing else can tell (issue 11 item 3). After a run on the installed app
 * whose offline cache could not be judged (cache-fullness skipped: the cache format is not public
 * and the logs did not settle it), the person is asked what the app's status line says and since
 * when; the answer becomes the `statusReport` fact and cache-fullness is judged again on it.
 * Asked only on a terminal: never without one, in CI, with --no-input, --yes or a machine format
 * (--json, junit), and never when the facts are replayed (--facts: a recorded answer is used as is).
 */
import type { Context } from '../core/context.js';
import { runChecks } from '../core/runner.js';
import type { RunResult } from '../core/runner.js';
import { cacheFullness } from '../checks/cache-fullness.js';
import { askStatusReport, statusReportFact } from '../facts/status-report.js';

export interface AskFlags {
  /** --no-input sets this false. */
  input?: boolean;
  yes?: boolean;
  /** The output is for machines (json, junit): nobody is reading a question. */
  machine?: boolean;
}

/** Whether this run may ask, and whether its result leaves the cache's state to the person. */
export function shouldAsk(result: RunResult, ctx: Pick<Context, 'isTTY' | 'isCI'>, flags: AskFlags): boolean {
  if (flags.input === false || flags.yes || flags.machine || !ctx.isTTY || ctx.isCI) return false;
  if (result.facts.target.kind !== 'installed' || result.facts.items.statusReport) return false;
  return result.findings.some((f) => f.id === cacheFullness.id && f.status === 'skip');
}

/**
 * Ask, record the answer as a fact and judge cache-fullness again on it; the result unchanged when
 * nothing is asked or nothing answered. A Ctrl-C ends the run (CancelledError, exit 130).
 */
export async function askStatusWhenUnknown(
  result: RunResult,
  ctx: Context,
  flags: AskFlags,
): Promise<RunResult> {
  if (!shouldAsk(result, ctx, flags)) return result;
  ctx.stderr(
    "\nThe installed app's offline cache cannot be read and its logs do not settle it: two questions about the app (Ctrl-C stops; --no-input never asks).\n",
  );
  const report = await askStatusReport(ctx);
  if (!report) return result;
  const facts = { ...result.facts, items: { ...result.facts.items, statusReport: statusReportFact(report) } };
  const again = await runChecks({
    ctx,
    checks: [cacheFullness],
    collectors: new Map(),
    target: facts.target,
    givenFacts: facts,
  });
  const judged = again.findings[0]!;
  return {
    ...result,
    facts,
    findings: result.findings.map((f) => (f.id === judged.id ? judged : f)),
  };
}
