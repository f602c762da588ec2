/**
 * `undo`: restore the prior state a fix run saved in its journal, newest change first. Undoing twice
 * changes nothing the second time (entries are marked undone, and every restore is idempotent).
 */
import { errorMessage } from '../core/errors.js';
import { undoBackup } from './actions.js';
import type { Fix, FixEnv } from './fix.js';
import type { JournalFile } from './journal.js';

export interface UndoReport {
  restored: string[];
  failed: string[];
}

export async function undoRun(journal: JournalFile, fixes: readonly Fix[], env: FixEnv): Promise<UndoReport> {
  const report: UndoReport = { restored: [], failed: [] };
  for (const entry of journal.undoable()) {
    // Backups are plain data; a fix removed from this version is still undone by the shared code.
    const fix = fixes.find((f) => f.id === entry.fixId);
    try {
      await (fix ? fix.undo(entry.backup, env) : undoBackup(entry.backup, env));
      await journal.mark(entry, 'undone');
      report.restored.push(`${entry.step.id}: ${entry.step.title}`);
    } catch (e) {
      await journal.mark(entry, entry.state, errorMessage(e));
      report.failed.push(`${entry.step.id}: ${entry.step.title}: ${errorMessage(e)}`);
    }
  }
  return report;
}
