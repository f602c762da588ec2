/**
 * Applying a plan: consent for every change first (so Ctrl-C or a "no" leaves everything as it
 * was), then per fix: capture the prior state into the undo journal, apply, re-run its checks, and
 * roll the fix back when the result is worse or a step failed.
 */
import { CancelledError, errorMessage } from '../core/errors.js';
import type { Finding, FindingStatus } from '../core/finding.js';
import type { Fix, FixEnv, Step } from './fix.js';
import { isChange } from './fix.js';
import type { FixOutcome, FixResult, JournalEntry } from './journal.js';
import { JournalFile } from './journal.js';
import type { Plan } from './plan.js';

export interface ApplyConfig {
  env: FixEnv;
  plan: Plan;
  /** --yes: every change is agreed to without asking. */
  yes: boolean;
  /** Re-run these checks on freshly collected facts. */
  recheck(checkIds: readonly string[]): Promise<Finding[]>;
  /** Where run journals go (default: the doctor's state folder). */
  journalRoot?: string;
}

export interface ApplyReport {
  results: FixResult[];
  /** The undo journal's run id, when something was changed. */
  runId?: string;
  /** No terminal to ask and no --yes: nothing was applied. */
  consentMissing: boolean;
}

const SEVERITY: Partial<Record<FindingStatus, number>> = { pass: 0, warn: 1, fail: 2 };

export function isInteractive(env: FixEnv): boolean {
  return env.ctx.isTTY && !env.ctx.isCI;
}

/**
 * fixed: every check that was not passing now passes; worse: one got more severe (rolled back);
 * improved: one got less severe but not all pass; else unchanged.
 */
export function compareOutcome(before: readonly Finding[], after: readonly Finding[]): FixOutcome {
  let allPass = true;
  let better = false;
  for (const b of before) {
    const a = after.find((f) => f.id === b.id);
    const sb = SEVERITY[b.status];
    const sa = a ? SEVERITY[a.status] : undefined;
    if (sb !== undefined && sa !== undefined && sa > sb) return 'worse';
    if (sb !== undefined && sa !== undefined && sa < sb) better = true;
    if (a?.status !== 'pass') allPass = false;
  }
  return allPass ? 'fixed' : better ? 'improved' : 'unchanged';
}

async function rollback(fix: Fix, journal: JournalFile, env: FixEnv): Promise<string | undefined> {
  const problems: string[] = [];
  for (const entry of journal.undoable(fix.id)) {
    try {
      await fix.undo(entry.backup, env);
      await journal.mark(entry, 'rolled-back');
    } catch (e) {
      problems.push(`${entry.step.title}: ${errorMessage(e)}`);
    }
  }
  return problems.length ? `could not roll back ${problems.join('; ')}` : undefined;
}

export async function applyPlan(config: ApplyConfig): Promise<ApplyReport> {
  const { env, plan, yes } = config;
  const { ctx } = env;
  const interactive = isInteractive(env);
  const changes = plan.items.flatMap((i) => i.steps.filter(isChange));

  if (changes.length > 0 && !yes && !interactive) {
    ctx.logger.error(
      `Nothing was changed: there is no terminal to ask for consent. Pass --yes to apply ${changes.length === 1 ? 'this change' : `these ${changes.length} changes`} (or --dry-run to only see them).`,
    );
    return {
      results: plan.items.map((i) => ({
        fixId: i.fix.id,
        outcome: 'not-attempted',
        checks: [],
        message: 'not asked: no terminal; pass --yes',
      })),
      consentMissing: true,
    };
  }

  // Consent for everything before anything changes.
  const accepted = new Map<string, Step[]>();
  for (const item of plan.items) {
    const list: Step[] = [];
    for (const step of item.steps) {
      if (step.action.kind === 'manual') {
        const open = step.action.open;
        if (open && interactive) {
          const ok =
            yes ||
            (await ctx.prompts.confirm(`Open ${open.label} now?`, { initial: true, flagHint: '--yes' }));
          if (ok)
            await ctx
              .open(open.target)
              .catch((e: unknown) => ctx.logger.warn(`Could not open ${open.label}: ${errorMessage(e)}`));
        }
        continue;
      }
      const ok =
        yes ||
        (await ctx.prompts.confirm(`${item.fix.id}: ${step.title}?`, {
          initial: item.fix.risk === 'safe',
          flagHint: '--yes',
        }));
      if (ok) list.push(step);
    }
    accepted.set(item.fix.id, list);
  }

  let journal: JournalFile | undefined;
  const results: FixResult[] = [];
  for (const item of plan.items) {
    const { fix } = item;
    const steps = accepted.get(fix.id) ?? [];
    if (steps.length === 0) {
      const anyChange = item.steps.some(isChange);
      results.push({
        fixId: fix.id,
        outcome: 'not-attempted',
        checks: [],
        // Words that agree with the plan's label: a "[you do it]" fix is left to you, an
        // "[asks first]" one was skipped because you said no.
        message: anyChange ? 'skipped: you said no' : 'left to you: follow the steps above',
      });
      continue;
    }
    let failure: string | undefined;
    for (const step of steps) {
      journal ??= await JournalFile.create(ctx, env.target, config.journalRoot);
      const backup = await fix.capture(step, env);
      const entry: JournalEntry = await journal.begin(step, backup, new Date(ctx.now()).toISOString());
      try {
        ctx.logger.progress(`applying ${step.id}: ${step.title}`);
        const r = await fix.apply(step, env);
        if (r.engineState && entry.backup.kind === 'engine') entry.backup.state = r.engineState;
        await journal.mark(entry, r.changed ? 'applied' : 'unchanged', r.message);
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        failure = `${step.title}: ${errorMessage(e)}`;
        await journal.mark(entry, 'failed', errorMessage(e));
        break;
      }
    }
    const before = item.findings;
    if (failure) {
      const rb = await rollback(fix, journal!, env);
      results.push({
        fixId: fix.id,
        outcome: 'failed',
        checks: [],
        message: rb ? `${failure}; ${rb}` : failure,
      });
      continue;
    }
    const after = await config.recheck(fix.fixes);
    const checks = before.map((b) => ({
      id: b.id,
      before: b.status,
      after: after.find((a) => a.id === b.id)?.status ?? 'not run',
    }));
    const outcome = compareOutcome(before, after);
    let message: string | undefined;
    if (outcome === 'worse') message = await rollback(fix, journal!, env);
    results.push({ fixId: fix.id, outcome, checks, ...(message ? { message } : {}) });
  }

  if (journal) {
    journal.data.results = results;
    const changed = journal.data.entries.some((e) => e.state !== 'unchanged');
    if (changed) await journal.save();
    else await journal.remove();
    return { results, consentMissing: false, ...(changed ? { runId: journal.data.runId } : {}) };
  }
  return { results, consentMissing: false };
}
