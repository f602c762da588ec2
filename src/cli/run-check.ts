/** The body of `upwork-doctor [check]`: select checks, resolve the target, run, render, exit code. */
import { readFile } from 'node:fs/promises';
import type { Check } from '../core/check.js';
import { createContext } from '../core/context.js';
import type { Context } from '../core/context.js';
import { UserError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { Facts } from '../core/facts.js';
import { parseFactsText } from '../core/facts-file.js';
import { exitCodeFor, runChecks, summarize } from '../core/runner.js';
import type { RunResult } from '../core/runner.js';
import { TOOL_NAME, toolVersion } from '../core/version.js';
import { checks as allChecks } from '../checks/index.js';
import { collectorMap } from '../facts/index.js';
import type { Report } from '../report/model.js';
import { REPORT_SCHEMA_VERSION } from '../report/model.js';
import { findingInContext } from '../report/origin.js';
import { renderReport } from '../report/render.js';
import type { ReportFormat } from '../report/render.js';
import { resolveTarget } from '../targets/resolve.js';
import { prepareTarget, runNeedsEngine } from '../targets/prepare.js';
import type { CommandHost } from './host.js';
import { logLevelFor } from './options.js';
import type { OutputFlags, TargetFlags } from './options.js';
import { emitReport } from './output.js';

export interface CheckOptions extends OutputFlags, TargetFlags {
  facts?: string;
  record?: string;
  only?: string[];
  skip?: string[];
  list?: boolean;
  format: ReportFormat;
  json?: boolean;
  output?: string;
  deadline: number;
  timeServer?: string;
  cpuWindow: number;
  strict?: boolean;
  /** false with --no-input: never ask (cli/status-question.ts). */
  input?: boolean;
}

/** Pick the checks from --only and --skip; an unknown id is a usage error. */
export function selectChecks(all: readonly Check[], only?: string[], skip?: string[]): Check[] {
  const known = new Set(all.map((c) => c.id));
  for (const id of [...(only ?? []), ...(skip ?? [])]) {
    if (!known.has(id)) throw new UserError(`Unknown check "${id}". Known checks: ${[...known].join(', ')}.`);
  }
  return all.filter(
    (c) => (!only || only.length === 0 || only.includes(c.id)) && !(skip ?? []).includes(c.id),
  );
}

/** Load a facts file (--facts); anything that is not one (schema in core/facts-file.ts) gets a one-line error. */
export async function loadFactsFile(file: string): Promise<Facts> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(
      `Cannot read facts file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}.`,
    );
  }
  return parseFactsText(text, file);
}

export function buildReport(result: RunResult, exitCode: number): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: toolVersion() },
    target: result.facts.target,
    host: result.facts.host,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    deadlineHit: result.deadlineHit,
    findings: result.findings.map((f) => findingInContext(f, result.facts.target)),
    summary: summarize(result.findings),
    exitCode,
  };
}

/** --json is --format json; with another --format the two disagree, and that is said, not guessed. */
function reportFormat(opts: Pick<CheckOptions, 'json' | 'format'>): ReportFormat {
  if (opts.json && opts.format !== 'text' && opts.format !== 'json')
    throw new UserError(`--json and --format ${opts.format} ask for two formats; use one.`);
  return opts.json ? 'json' : opts.format;
}

/** `--list`: the checks, as text or (--json) as JSON. */
function listChecks(format: ReportFormat): string {
  if (format === 'json')
    return `${JSON.stringify(
      allChecks.map((c) => ({ id: c.id, title: c.title, category: c.category, platforms: c.platforms })),
      null,
      2,
    )}\n`;
  const lines = allChecks.map(
    (c) => `${c.id.padEnd(22)} ${c.title} [${c.category}; ${c.platforms.join(', ')}]`,
  );
  return `${lines.join('\n')}\n`;
}

export async function runCheckCommand(
  opts: CheckOptions,
  _host: CommandHost,
  ctxIn?: Context,
): Promise<number> {
  const ctx =
    ctxIn ?? createContext({ logLevel: logLevelFor(opts), color: opts.color === false ? false : undefined });
  const format = reportFormat(opts);
  if (opts.list) {
    ctx.stdout(listChecks(format));
    return ExitCode.Ok;
  }
  if (opts.facts && opts.record)
    throw new UserError(
      '--record saves the facts of this machine; with --facts nothing is collected, so use one or the other.',
    );
  const selected = selectChecks(allChecks, opts.only, opts.skip);
  if (opts.facts && (opts.scenario || opts.dataDir)) {
    throw new UserError(
      '--facts replays recorded facts; it cannot be combined with --scenario or --data-dir.',
    );
  }

  let result: RunResult;
  if (opts.facts) {
    const given = await loadFactsFile(opts.facts);
    result = await runChecks({
      ctx,
      checks: selected,
      collectors: new Map(),
      target: given.target,
      givenFacts: given,
      deadlineMs: opts.deadline * 1000,
    });
  } else {
    const collectors = collectorMap();
    const used = [...new Set(selected.flatMap((c) => c.needs))].flatMap((k) => collectors.get(k) ?? []);
    const readsTracker = used.some((c) => c.scope === 'tracker');
    const target = await resolveTarget({ ...opts, readsTracker }, ctx);
    ctx.logger.debug(`target: ${target.kind} at ${target.dataDir} (${target.reason})`);
    // The engine's server and Helper start only for facts that need them (not for --only clock-skew).
    const prepared = await prepareTarget(target, ctx, { engine: runNeedsEngine(target, used) });
    try {
      result = await runChecks({
        ctx,
        checks: selected,
        collectors,
        target,
        options: { ...prepared.options, timeServer: opts.timeServer, cpuWindowSec: opts.cpuWindow },
        deadlineMs: opts.deadline * 1000,
      });
    } finally {
      await prepared.dispose();
    }
    const { askStatusWhenUnknown } = await import('./status-question.js');
    result = await askStatusWhenUnknown(result, ctx, {
      input: opts.input,
      machine: format !== 'text' && format !== 'html',
    });
    if (opts.record) {
      const { recordFacts } = await import('./record.js');
      await recordFacts(result.facts, opts.record, ctx);
    }
  }

  const exitCode = exitCodeFor(result, opts.strict);
  const report = buildReport(result, exitCode);
  const rendered = renderReport(report, format, {
    color: ctx.color && !opts.output,
    unicode: ctx.unicode,
    quiet: opts.quiet,
    verbose: opts.verbose,
    facts: result.facts,
  });
  await emitReport(ctx, rendered, opts.output, opts.open ? { format, name: 'report' } : undefined);
  return exitCode;
}
