/**
 * Crash-safe small-file writes for the service's files (server.json, status.json, CA files): a
 * reader (the doctor's collectors, another process) sees the old file or the new one, never half
 * of one. The same durable write as the cache store's (tmp, fsync, rename with retry, folder
 * fsync), plus creating the folder.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fsyncDir, writeFileAtomic as writeDurable } from '../store/fsutil.js';

export { fsyncDir as syncDir };

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeDurable(file, data, { mode });
}

export async function writeJsonAtomic(file: string, value: unknown, mode = 0o644): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, mode);
}
