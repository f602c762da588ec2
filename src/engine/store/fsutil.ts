/**
 * Durable file primitives. Node's writeFile does not fsync and rename does not fsync the parent
 * directory, so an "atomic" write that survives a power cut needs all four steps spelled out.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** Named durable steps; the kill -9 harness crashes the process at each of them. */
export type DurableStep =
  | 'journal.beforeWrite'
  | 'journal.afterWriteBeforeFsync'
  | 'journal.afterFsync'
  | 'journal.rotate.afterCreate'
  | 'blob.afterTmpWrite'
  | 'blob.afterRename'
  | 'snapshot.afterTmpFsync'
  | 'snapshot.afterRename'
  | 'manifest.afterRename'
  | 'compaction.afterManifestBeforeDelete'
  | 'recovery.afterTrim';

export const DURABLE_STEPS: readonly DurableStep[] = [
  'journal.beforeWrite',
  'journal.afterWriteBeforeFsync',
  'journal.afterFsync',
  'journal.rotate.afterCreate',
  'blob.afterTmpWrite',
  'blob.afterRename',
  'snapshot.afterTmpFsync',
  'snapshot.afterRename',
  'manifest.afterRename',
  'compaction.afterManifestBeforeDelete',
  'recovery.afterTrim',
];

export type StepHook = (step: DurableStep) => void;

/**
 * The store's fsync seam. SIGKILL keeps the page cache, so the kill -9 tests cannot tell a
 * missing fsync; a test passes a counting or failing implementation here to prove each durable
 * step really syncs, in order, before it is acknowledged.
 */
export interface DurableIo {
  /** fsync (data only when `dataOnly`) an open file. */
  syncFile(fh: FileHandle, file: string, dataOnly: boolean): Promise<void>;
  /** fsync a directory so a create or rename in it survives a power cut. */
  syncDir(dir: string): Promise<void>;
}

export const realIo: DurableIo = {
  syncFile: (fh, _file, dataOnly) => (dataOnly ? fh.datasync() : fh.sync()),
  syncDir: (dir) => fsyncDir(dir),
};

/** fsync a directory so a rename or create inside it survives a power cut; Windows cannot, so best effort. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const RETRYABLE = new Set(['EPERM', 'EACCES', 'EBUSY']);

/** rename with a short retry: on Windows an antivirus scanner briefly holding the file makes rename fail. */
export async function renameDurable(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.rename(from, to);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (attempt >= 5 || !RETRYABLE.has(code)) throw e;
      await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
    }
  }
}

let tmpCounter = 0;

/** tmp in the same directory → fsync → rename → fsync dir. Readers see the old or the new file, never half. */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  hooks?: { afterTmpFsync?: () => void; afterRename?: () => void; mode?: number; io?: DurableIo },
): Promise<void> {
  const io = hooks?.io ?? realIo;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++tmpCounter}.tmp`);
  const fh = await fsp.open(tmp, 'w', hooks?.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    await io.syncFile(fh, tmp, false);
  } finally {
    await fh.close();
  }
  hooks?.afterTmpFsync?.();
  try {
    await renameDurable(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  hooks?.afterRename?.();
  await io.syncDir(dir);
}
