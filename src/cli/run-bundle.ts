/** The body of `upwork-doctor bundle`: run the doctor, then write the redacted ticket bundle. */
import { createContext } from '../core/context.js';
import type { Context } from '../core/context.js';
import { UserError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { exitCodeFor, runChecks } from '../core/runner.js';
import { checks as allChecks } from '../checks/index.js';
import { collectorMap } from '../facts/index.js';
import { renderHtml } from '../report/html.js';
import { renderText } from '../report/text.js';
import { resolveTarget } from '../targets/resolve.js';
import { prepareTarget } from '../targets/prepare.js';
import type { CommandHost } from './host.js';
import { logLevelFor } from './options.js';
import type { OutputFlags, TargetFlags } from './options.js';
import { buildReport } from './run-check.js';
import { printText } from './output.js';

export interface BundleOptions extends OutputFlags, TargetFlags {
  ticket?: string;
  out?: string;
  encryptTo?: string;
  since?: string;
  maxSize: number;
  includeScreenshots?: boolean;
  yes?: boolean;
  json?: boolean;
  dryRun?: boolean;
  deadline: number;
  /** false with --no-input: never ask (cli/status-question.ts). */
  input?: boolean;
}

export async function runBundleCommand(
  opts: BundleOptions,
  _host: CommandHost,
  ctxIn?: Context,
): Promise<number> {
  const ctx =
    ctxIn ?? createContext({ logLevel: logLevelFor(opts), color: opts.color === false ? false : undefined });
  const { checkOutDir, createBundle, planOnly, readRecipient } = await import('../report/bundle/bundle.js');
  const { parseDuration, sanitizeTicket } = await import('../report/bundle/names.js');
  const ticket = opts.ticket !== undefined ? sanitizeTicket(opts.ticket) : undefined;
  const sinceMs = opts.since !== undefined ? parseDuration(opts.since) : undefined;
  const interactive = ctx.isTTY && !ctx.isCI;
  if (!opts.yes && !interactive && !opts.dryRun) {
    throw new UserError(
      'Not writing a bundle: there is no terminal to show what it includes and ask. Pass --yes to agree (nothing was written).',
      ExitCode.Failed,
    );
  }
  const recipient = opts.encryptTo ? await readRecipient(opts.encryptTo) : undefined;

  const target = await resolveTarget(opts, ctx);
  const outDir = opts.out ?? process.cwd();
  // Before the (slow) doctor run: a wrong --out fails at once.
  await checkOutDir(outDir, target.dataDir);
  ctx.logger.progress(
    `bundle: running the checks on ${target.kind === 'installed' ? 'the installed app' : 'the embedded engine'}…`,
  );
  const { collectSystemAndProcesses } = await import('../report/bundle/gather.js');
  // Started now, they run while the checks do; a failure is the bundle's, reported after them.
  const early = collectSystemAndProcesses(ctx, target.dataDir, outDir);
  early.catch(() => undefined);
  const prepared = await prepareTarget(target, ctx);
  let run;
  try {
    run = await runChecks({
      ctx,
      checks: allChecks,
      collectors: collectorMap(),
      target,
      options: prepared.options,
      deadlineMs: opts.deadline * 1000,
    });
  } finally {
    await prepared.dispose();
  }
  if (!opts.dryRun) {
    const { askStatusWhenUnknown } = await import('./status-question.js');
    run = await askStatusWhenUnknown(run, ctx, { input: opts.input, yes: opts.yes, machine: opts.json });
  }
  const report = buildReport(run, exitCodeFor(run));
  const { system, processes } = await early;
  const request = {
    system,
    processes,
    ctx,
    target,
    facts: run.facts,
    report,
    reportText: renderText(report, { color: false, unicode: true, verbose: true }),
    reportHtml: renderHtml(report, run.facts),
    outDir,
    ticket,
    recipient,
    sinceMs,
    since: opts.since,
    maxSizeMB: opts.maxSize,
    includeScreenshots: Boolean(opts.includeScreenshots),
    confirm: !opts.yes,
    progress: !opts.json && !opts.quiet,
  };
  if (opts.dryRun) {
    const dry = await planOnly(request);
    if (opts.json)
      ctx.stdout(`${JSON.stringify({ dryRun: true, parts: dry.parts, entries: dry.entries }, null, 2)}\n`);
    else printText(ctx, `${dry.text}\n`);
    return ExitCode.Ok;
  }
  const result = await createBundle(request);
  if (opts.json) {
    ctx.stdout(
      `${JSON.stringify(
        {
          path: result.path,
          size: result.size,
          sha256: result.sha256,
          encrypted: result.encrypted,
          ticket: ticket ?? null,
          entries: result.entries,
          skipped: result.skipped,
          redactions: result.redactions,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    ctx.stdout(`${result.path}  ${result.size} bytes  sha256:${result.sha256}\n`);
  }
  return ExitCode.Ok;
}
