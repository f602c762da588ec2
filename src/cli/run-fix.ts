/**
 * The body of `upwork-doctor fix`: run the checks, plan fixes for what is not passing, print the
 * plan, then (unless --dry-run) ask, back up, apply, re-check and report fixed / unchanged / worse.
 */
import type { Check } from '../core/check.js';
import type { Collector } from '../core/collector.js';
import { createContext } from '../core/context.js';
import type { Context } from '../core/context.js';
import { ExitCode } from '../core/exit-codes.js';
import { runChecks, summarize } from '../core/runner.js';
import { checks as allChecks } from '../checks/index.js';
import { collectorMap } from '../facts/index.js';
import { applyPlan } from '../fixes/apply.js';
import type { RealEngineOps } from '../fixes/engine-ops.js';
import type { EngineOps, Fix, FixEnv } from '../fixes/fix.js';
import { fixes as allFixes } from '../fixes/index.js';
import { planFixes, resolveOnly } from '../fixes/plan.js';
import type { Registry } from '../fixes/registry.js';
import { realRegistry } from '../fixes/registry.js';
import { renderPlan, renderResults } from '../fixes/render.js';
import { prepareTarget } from '../targets/prepare.js';
import { resolveTarget } from '../targets/resolve.js';
import type { CommandHost } from './host.js';
import { logLevelFor } from './options.js';
import { printText } from './output.js';
import type { OutputFlags, TargetFlags } from './options.js';

export interface FixOptions extends OutputFlags, TargetFlags {
  dryRun?: boolean;
  yes?: boolean;
  only?: string[];
  deadline?: number;
  timeServer?: string;
  cpuWindow?: number;
}

/** What tests replace: the registry, the collectors, the check and fix lists, the engine's operations. */
export interface FixSeams {
  registry?: Registry;
  collectors?: ReadonlyMap<string, Collector>;
  checks?: readonly Check[];
  fixes?: readonly Fix[];
  engine?: EngineOps;
  /** Where run journals go (default: the doctor's state folder). */
  journalRoot?: string;
}

export async function runFixCommand(
  opts: FixOptions,
  _host: CommandHost,
  ctxIn?: Context,
  seams: FixSeams = {},
): Promise<number> {
  const ctx =
    ctxIn ?? createContext({ logLevel: logLevelFor(opts), color: opts.color === false ? false : undefined });
  const fixes = seams.fixes ?? allFixes;
  const checkList = seams.checks ?? allChecks;
  const only = resolveOnly(
    opts.only,
    fixes,
    checkList.map((c) => c.id),
  );
  // With --only, run just the checks the chosen fixes repair.
  const wanted = only ? new Set(fixes.filter((f) => only.has(f.id)).flatMap((f) => f.fixes)) : undefined;
  const selected = wanted ? checkList.filter((c) => wanted.has(c.id)) : [...checkList];

  const target = await resolveTarget(opts, ctx);
  // As for `check`: on the engine, its server and Helper run for the fix run (started lazily).
  const prepared = await prepareTarget(target, ctx);
  // The engine's own public operations (upload now, Helper restart, contract refresh), by default.
  const ownOps: RealEngineOps | undefined = seams.engine
    ? undefined
    : (await import('../fixes/engine-ops.js')).createEngineOps();
  const engineOps: EngineOps = seams.engine ?? ownOps!;
  try {
    const collectors = seams.collectors ?? collectorMap();
    const options = { ...prepared.options, timeServer: opts.timeServer, cpuWindowSec: opts.cpuWindow ?? 3 };
    const deadlineMs = (opts.deadline ?? 15) * 1000;
    // A fresh options object per round: collectors memoise per run by it (the process listing),
    // and the re-check must see the machine as it is after the fix.
    const run = (list: readonly Check[]) =>
      runChecks({ ctx, checks: list, collectors, target, options: { ...options }, deadlineMs });

    const first = await run(selected);
    const s = summarize(first.findings);
    ctx.logger.info(
      `Checked ${s.total}: ${s.fail} failed, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.pass} passed.`,
    );
    const plan = planFixes(first.facts, first.findings, fixes, only);
    printText(ctx, renderPlan(plan, first.facts.platform, Boolean(opts.dryRun), ctx.uid === 0));
    if (opts.dryRun || plan.items.length === 0) return ExitCode.Ok;

    const env: FixEnv = {
      ctx,
      registry: seams.registry ?? realRegistry(ctx),
      target,
      options,
      engine: engineOps,
    };
    const report = await applyPlan({
      env,
      plan,
      yes: Boolean(opts.yes),
      ...(seams.journalRoot ? { journalRoot: seams.journalRoot } : {}),
      recheck: async (ids) => (await run(checkList.filter((c) => ids.includes(c.id)))).findings,
    });
    if (report.consentMissing) return ExitCode.Failed;
    printText(ctx, renderResults(report.results, report.runId));
    return report.results.every((r) => r.outcome === 'fixed') ? ExitCode.Ok : ExitCode.Failed;
  } finally {
    await ownOps?.close();
    await prepared.dispose();
  }
}
