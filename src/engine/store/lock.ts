/**
 * One writer per cache. Two writers on one journal lose acknowledged time (interleaved sequence
 * numbers, one process's snapshot deleting the other's journal), so the lock must never be taken
 * over on a guess.
 *
 * - Where the OS offers a lock that dies with its owner (an abstract Unix socket on Linux, a named
 *   pipe on Windows), it is the authority: holding it proves no other writer runs, so any LOCK file
 *   found then is stale by proof.
 * - The LOCK file `{pid, startedAt, host}` says who holds the cache (for messages and the doctor).
 *   It is created complete (written to a temporary file, then hard-linked into place), so it is
 *   never empty or half-written. Without an OS lock (macOS), a LOCK is taken over only when its pid
 *   is gone on this host, and by renaming it aside and checking it is the same file that was judged
 *   stale, so two processes taking over at once cannot both win.
 * - A LOCK from another host (a shared folder) is never taken over: its owner cannot be checked.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isPidAlive } from '../../core/pid.js';
import { StoreError } from './types.js';

export interface LockInfo {
  pid: number;
  startedAt: number;
  host: string;
}

export interface LockOptions {
  /** Use the OS lock where there is one (default true; tests turn it off to exercise the file protocol). */
  osLock?: boolean;
  /** How long an unreadable LOCK is given to become readable before it counts as stale (ms). */
  unreadableGraceMs?: number;
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') return v as LockInfo;
  } catch {
    // Unreadable: the caller decides.
  }
  return undefined;
}

export async function readLock(file: string): Promise<LockInfo | undefined> {
  try {
    return parseLock(await fsp.readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The OS lock's address for a cache folder, or undefined where the OS has none that dies with its owner. */
function osLockAddress(file: string, realDir: string): string | undefined {
  const id = createHash('sha256')
    .update(path.join(realDir, path.basename(file)))
    .digest('hex')
    .slice(0, 32);
  if (process.platform === 'linux') return `\0upwork-doctor-cache-lock-${id}`;
  if (process.platform === 'win32') return `\\\\.\\pipe\\upwork-doctor-cache-lock-${id}`;
  return undefined;
}

/** Listen on the OS lock address: resolves with the server (the lock), or undefined if another process holds it. */
function takeOsLock(address: string): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((s) => s.destroy());
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') resolve(undefined);
      else reject(e);
    });
    server.listen(address, () => {
      server.unref();
      resolve(server);
    });
  });
}

function lockedError(cur: LockInfo | undefined, file: string): StoreError {
  if (cur && cur.host !== os.hostname())
    return new StoreError(
      'locked',
      `The time cache is locked by computer "${cur.host}" (pid ${cur.pid}). If no tracker runs there, delete ${file}.`,
    );
  return new StoreError(
    'locked',
    cur
      ? `The time cache is in use by another process (pid ${cur.pid}).`
      : 'The time cache is in use by another process.',
  );
}

/** Create the LOCK complete or not at all: false when one exists. */
async function createLock(file: string, info: LockInfo): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${Math.floor(performance.now() * 1000)}.tmp`;
  const fh = await fsp.open(tmp, 'wx');
  try {
    await fh.writeFile(JSON.stringify(info));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.link(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

/** Read the LOCK, waiting out a LOCK that is unreadable (written by an older version, mid-write). */
async function readSettled(
  file: string,
  graceMs: number,
): Promise<{ text: string; info?: LockInfo } | undefined> {
  const t0 = performance.now();
  for (;;) {
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const info = parseLock(text);
    if (info || performance.now() - t0 >= graceMs) return { text, ...(info ? { info } : {}) };
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Move a LOCK judged stale aside, but only if it is still the same file; false if it changed. */
async function removeIfSame(file: string, judged: string): Promise<boolean> {
  const aside = `${file}.stale-${process.pid}-${Math.floor(performance.now() * 1000)}`;
  try {
    await fsp.rename(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
  const moved = await fsp.readFile(aside, 'utf8').catch(() => '');
  if (moved === judged) {
    await fsp.rm(aside, { force: true });
    return true;
  }
  // Someone else's fresh LOCK: put it back where it was (it can only fail if yet another took its place).
  await fsp.link(aside, file).catch(() => undefined);
  await fsp.rm(aside, { force: true });
  return false;
}

export async function acquireLock(
  file: string,
  now: number,
  opts: LockOptions = {},
): Promise<() => Promise<void>> {
  const info: LockInfo = { pid: process.pid, startedAt: now, host: os.hostname() };
  const address =
    opts.osLock === false ? undefined : osLockAddress(file, await fsp.realpath(path.dirname(file)));
  const osLock = address ? await takeOsLock(address) : undefined;
  if (address && !osLock) throw lockedError(await readLock(file), file);
  const release = async () => {
    const cur = await readLock(file);
    if (cur?.pid === process.pid && cur.host === info.host) await fsp.rm(file, { force: true });
    osLock?.close();
  };
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await createLock(file, info)) return release;
      const cur = await readSettled(file, osLock ? 0 : (opts.unreadableGraceMs ?? 2000));
      if (!cur) continue;
      if (cur.info && cur.info.host !== info.host) throw lockedError(cur.info, file);
      // With the OS lock held nobody else writes: whatever LOCK is left is stale.
      if (!osLock && cur.info && isPidAlive(cur.info.pid)) throw lockedError(cur.info, file);
      if (!(await removeIfSame(file, cur.text))) throw lockedError(await readLock(file), file);
    }
    throw new StoreError('locked', 'Could not take the time cache lock.');
  } catch (e) {
    osLock?.close();
    throw e;
  }
}
