/**
 * One writer per cache: an exclusive LOCK file holding the owner's pid. A LOCK left by a process
 * that no longer runs (a crash, kill -9) is stale and taken over; a live owner makes open fail.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import { StoreError } from './types.js';

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LockInfo {
  pid: number;
  startedAt: number;
  host: string;
}

export async function readLock(file: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

export async function acquireLock(file: string, now: number): Promise<() => Promise<void>> {
  const info: LockInfo = { pid: process.pid, startedAt: now, host: os.hostname() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fsp.open(file, 'wx');
      try {
        await fh.writeFile(JSON.stringify(info));
        await fh.sync();
      } finally {
        await fh.close();
      }
      return async () => {
        const cur = await readLock(file);
        if (cur?.pid === process.pid) await fsp.rm(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const cur = await readLock(file);
      if (cur && isAlive(cur.pid) && cur.host === os.hostname()) {
        throw new StoreError('locked', `The time cache is in use by another process (pid ${cur.pid}).`);
      }
      // Stale (owner gone) or unreadable (torn write of the LOCK itself): take it over.
      await fsp.rm(file, { force: true });
    }
  }
  throw new StoreError('locked', 'Could not take the time cache lock.');
}
