/**
 * The undo journal: `<state>/runs/<runId>/journal.json`, in the doctor's own folder (never the
 * tracker's). Each change is written here with its prior state BEFORE it is made, so a run cut short
 * (Ctrl-C, a crash, a power cut) can still be undone. Writes are atomic (temp file, then rename).
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../core/context.js';
import { UserError } from '../core/errors.js';
import type { TargetInfo } from '../core/facts.js';
import { stateDir } from '../targets/paths.js';
import type { Backup, Step } from './fix.js';

export const JOURNAL_VERSION = 1;

export type EntryState = 'pending' | 'applied' | 'unchanged' | 'failed' | 'rolled-back' | 'undone';

export interface JournalEntry {
  seq: number;
  fixId: string;
  step: Step;
  backup: Backup;
  state: EntryState;
  at: string;
  message?: string;
}

export type FixOutcome = 'fixed' | 'improved' | 'unchanged' | 'worse' | 'failed' | 'not-attempted';

export interface FixResult {
  fixId: string;
  outcome: FixOutcome;
  checks: { id: string; before: string; after: string }[];
  message?: string;
}

export interface Journal {
  version: number;
  runId: string;
  createdAt: string;
  target: TargetInfo;
  entries: JournalEntry[];
  results: FixResult[];
}

export function runsDir(ctx: Pick<Context, 'platform' | 'env' | 'homedir'>): string {
  return path.join(stateDir(ctx), 'runs');
}

/** Sortable and unique enough: 20261118-100000-ab12. */
export function newRunId(ctx: Pick<Context, 'now' | 'random'>): string {
  const iso = new Date(ctx.now()).toISOString();
  const stamp = iso.slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const suffix = Math.floor(ctx.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `${stamp}-${suffix}`;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/** One run's journal on disk; every mutation is saved before the caller goes on. */
export class JournalFile {
  private constructor(
    readonly file: string,
    readonly data: Journal,
  ) {}

  static async create(ctx: Context, target: TargetInfo, root = runsDir(ctx)): Promise<JournalFile> {
    const runId = newRunId(ctx);
    const dir = path.join(root, runId);
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new UserError(
        `Cannot create the undo journal in ${dir}: ${(e as NodeJS.ErrnoException).code ?? 'error'}; nothing was changed.`,
      );
    }
    const j = new JournalFile(path.join(dir, 'journal.json'), {
      version: JOURNAL_VERSION,
      runId,
      createdAt: new Date(ctx.now()).toISOString(),
      target,
      entries: [],
      results: [],
    });
    await j.save();
    return j;
  }

  static async load(ctx: Context, runId: string, root = runsDir(ctx)): Promise<JournalFile> {
    if (!/^[\w.-]+$/.test(runId))
      throw new UserError(`"${runId}" is not a run id (see: upwork-doctor undo --list).`);
    const file = path.join(root, runId, 'journal.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new UserError(`No fix run "${runId}" (see: upwork-doctor undo --list).`);
    }
    let data: Journal;
    try {
      data = JSON.parse(text) as Journal;
    } catch {
      throw new UserError(`The undo journal ${file} is damaged (not valid JSON); it cannot be used to undo.`);
    }
    if (data.version !== JOURNAL_VERSION || !Array.isArray(data.entries))
      throw new UserError(`The undo journal ${file} has an unknown format; it cannot be used to undo.`);
    return new JournalFile(file, data);
  }

  async save(): Promise<void> {
    await writeAtomic(this.file, `${JSON.stringify(this.data, null, 2)}\n`);
  }

  /** Record a change with its prior state, before it is made. */
  async begin(step: Step, backup: Backup, at: string): Promise<JournalEntry> {
    const entry: JournalEntry = {
      seq: this.data.entries.length + 1,
      fixId: step.fixId,
      step,
      backup,
      state: 'pending',
      at,
    };
    this.data.entries.push(entry);
    await this.save();
    return entry;
  }

  async mark(entry: JournalEntry, state: EntryState, message?: string): Promise<void> {
    entry.state = state;
    if (message !== undefined) entry.message = message;
    await this.save();
  }

  /**
   * Entries whose change may be in effect, newest first. A pending or failed step may have been
   * half made; restoring its prior state is safe because every undo is idempotent.
   */
  undoable(fixId?: string): JournalEntry[] {
    return this.data.entries
      .filter((e) => ['applied', 'pending', 'failed'].includes(e.state) && (!fixId || e.fixId === fixId))
      .reverse();
  }

  async remove(): Promise<void> {
    await rm(path.dirname(this.file), { recursive: true, force: true });
  }
}

/** Run ids, oldest first (ids sort by time). */
export async function listRuns(ctx: Context, root = runsDir(ctx)): Promise<string[]> {
  try {
    const names = await readdir(root, { withFileTypes: true });
    return names
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}
