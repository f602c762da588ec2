/** The body of `upwork-doctor undo [RUN]` and `undo --list`. */
import { stat } from 'node:fs/promises';
import { createContext } from '../core/context.js';
import type { Context } from '../core/context.js';
import { UserError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { TargetInfo } from '../core/facts.js';
import { escapeControl } from '../core/format.js';
import type { RealEngineOps } from '../fixes/engine-ops.js';
import type { EngineOps, Fix } from '../fixes/fix.js';
import { fixes as allFixes } from '../fixes/index.js';
import { JournalFile, listRuns } from '../fixes/journal.js';
import type { Registry } from '../fixes/registry.js';
import { realRegistry } from '../fixes/registry.js';
import { undoRun } from '../fixes/undo.js';
import { describeRequest, namesTarget, targetMatches } from '../targets/match.js';
import type { CommandHost } from './host.js';
import { logLevelFor } from './options.js';
import type { OutputFlags, TargetFlags } from './options.js';
import { printText } from './output.js';

export interface UndoOptions extends OutputFlags, TargetFlags {
  list?: boolean;
}

export interface UndoSeams {
  registry?: Registry;
  fixes?: readonly Fix[];
  engine?: EngineOps;
  journalRoot?: string;
}

/** The runs, oldest first; with target options only the runs on that tracker (unreadable ones are kept for --list). */
async function runsFor(
  ctx: Context,
  opts: TargetFlags,
  root?: string,
): Promise<{ id: string; journal?: JournalFile; error?: unknown }[]> {
  const out: { id: string; journal?: JournalFile; error?: unknown }[] = [];
  for (const id of await listRuns(ctx, root)) {
    try {
      const journal = await JournalFile.load(ctx, id, root);
      if (!namesTarget(opts) || targetMatches(opts, journal.data.target)) out.push({ id, journal });
    } catch (error) {
      out.push({ id, error });
    }
  }
  return out;
}

async function listText(ctx: Context, opts: TargetFlags, root?: string): Promise<string> {
  const runs = await runsFor(ctx, opts, root);
  if (runs.length === 0)
    return namesTarget(opts) ? `No fix runs on ${describeRequest(opts)}.\n` : 'No fix runs yet.\n';
  const lines: string[] = [];
  for (const { id, journal: j, error: e } of runs) {
    if (j) {
      const fixIds = [...new Set(j.data.entries.map((e) => e.fixId))].join(', ') || '-';
      const open = j.undoable().length;
      lines.push(
        `${id}  ${j.data.createdAt}  ${fixIds}  ${open > 0 ? `${open} change${open === 1 ? '' : 's'} to undo` : 'nothing to undo'}`,
      );
    } else {
      lines.push(`${id}  (unreadable: ${e instanceof Error ? e.message : String(e)})`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A run that changed a tracker folder which is gone now (uninstalled, moved, deleted) is not undone:
 * restoring its backups would recreate parts of a tracker that no longer exists.
 */
async function refuseMissingTracker(id: string, target: TargetInfo): Promise<void> {
  if (!target.found) return;
  const there = await stat(target.dataDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!there)
    throw new UserError(
      `Run ${id} changed the tracker in ${escapeControl(target.dataDir)}, which no longer exists; nothing was undone (undoing would recreate it).`,
    );
}

export async function runUndoCommand(
  runId: string | undefined,
  opts: UndoOptions,
  _host: CommandHost,
  ctxIn?: Context,
  seams: UndoSeams = {},
): Promise<number> {
  const ctx =
    ctxIn ?? createContext({ logLevel: logLevelFor(opts), color: opts.color === false ? false : undefined });
  if (opts.list) {
    printText(ctx, await listText(ctx, opts, seams.journalRoot));
    return ExitCode.Ok;
  }
  const id = runId ?? (await runsFor(ctx, opts, seams.journalRoot)).filter((r) => r.journal).at(-1)?.id;
  if (!id) {
    ctx.stdout(
      namesTarget(opts) ? `No fix runs to undo on ${describeRequest(opts)}.\n` : 'No fix runs to undo.\n',
    );
    return ExitCode.Ok;
  }
  const journal = await JournalFile.load(ctx, id, seams.journalRoot);
  if (namesTarget(opts) && !targetMatches(opts, journal.data.target))
    throw new UserError(
      `Run ${id} changed the tracker in ${escapeControl(journal.data.target.dataDir)}, not the one ${describeRequest(opts)} names; nothing was undone.`,
    );
  if (journal.undoable().length === 0) {
    ctx.stdout(`Run ${id} has nothing left to undo.\n`);
    return ExitCode.Ok;
  }
  await refuseMissingTracker(id, journal.data.target);
  // The engine's own operations restore what engine fixes changed (loaded only when one did).
  const needsEngine = journal.undoable().some((e) => e.backup.kind === 'engine');
  const ownOps: RealEngineOps | undefined =
    seams.engine || !needsEngine ? undefined : (await import('../fixes/engine-ops.js')).createEngineOps();
  const engine: EngineOps | undefined = seams.engine ?? ownOps;
  let report;
  try {
    report = await undoRun(journal, seams.fixes ?? allFixes, {
      ctx,
      registry: seams.registry ?? realRegistry(ctx),
      target: journal.data.target,
      options: {},
      ...(engine ? { engine } : {}),
    });
  } finally {
    await ownOps?.close();
  }
  const lines = [
    ...report.restored.map((r) => `restored ${r}`),
    ...report.failed.map((r) => `could not restore ${r}`),
  ];
  printText(ctx, `Undo of run ${id}:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  return report.failed.length > 0 ? ExitCode.Failed : ExitCode.Ok;
}
