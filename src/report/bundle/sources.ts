/**
 * Finding what goes into a bundle: the tracker's (and the engine's) log files, newest first, and
 * the cache folder's file list. Read-only: files are only stat'ed here; symlinks are followed only
 * when they stay inside the folder they were found in.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SkipReason } from './manifest.js';

export interface FoundFile {
  /** Absolute path to read (the symlink's target when it is one). */
  file: string;
  /** Name relative to its root, with forward slashes. */
  rel: string;
  size: number;
  mtimeMs: number;
}

/** A log that could go into the bundle. */
export interface LogCandidate extends FoundFile {
  /** Name inside the archive. */
  name: string;
  /** Where it came from, for the manifest (`<data>/Upwork/Logs/x.log`). */
  source: string;
}

export interface SkippedFile {
  rel: string;
  reason: SkipReason;
  detail?: string;
}

export function skipReasonFor(e: unknown): SkipReason {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission-denied';
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'vanished';
  return 'error';
}

const inside = (root: string, p: string) =>
  p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/**
 * Every regular file under `root` (depth-limited), with symlinks resolved only inside the root.
 * Missing root: nothing found. Bounded by `maxFiles`.
 */
export async function walkFiles(
  root: string,
  opts: { maxDepth?: number; maxFiles?: number } = {},
): Promise<{ files: FoundFile[]; skipped: SkippedFile[] }> {
  const files: FoundFile[] = [];
  const skipped: SkippedFile[] = [];
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return { files, skipped };
  }
  const maxDepth = opts.maxDepth ?? 6;
  const maxFiles = opts.maxFiles ?? 20_000;
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (e) {
      if (rel) skipped.push({ rel: `${rel}/`, reason: skipReasonFor(e) });
      return;
    }
    for (const name of names) {
      if (files.length >= maxFiles) return;
      const p = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      try {
        const l = await lstat(p);
        if (l.isSymbolicLink()) {
          let target: string;
          try {
            target = await realpath(p);
          } catch (e) {
            skipped.push({ rel: r, reason: skipReasonFor(e), detail: 'broken symlink' });
            continue;
          }
          if (!inside(realRoot, target)) {
            skipped.push({ rel: r, reason: 'symlink-outside', detail: 'points outside the folder' });
            continue;
          }
          const st = await stat(target);
          if (st.isFile()) files.push({ file: target, rel: r, size: st.size, mtimeMs: st.mtimeMs });
          else skipped.push({ rel: r, reason: 'not-a-file' });
        } else if (l.isDirectory()) {
          if (depth < maxDepth) await walk(p, r, depth + 1);
        } else if (l.isFile()) {
          files.push({ file: p, rel: r, size: l.size, mtimeMs: l.mtimeMs });
        } else {
          skipped.push({ rel: r, reason: 'not-a-file' });
        }
      } catch (e) {
        skipped.push({ rel: r, reason: skipReasonFor(e) });
      }
    }
  };
  await walk(realRoot, '', 0);
  return { files, skipped };
}

/** Folders holding logs, relative to the data folder, and their name inside the bundle. */
export const LOG_ROOTS: readonly { dir: string[]; label: string }[] = [
  { dir: ['Upwork', 'Logs'], label: 'logs/tracker' },
  { dir: ['engine', 'logs'], label: 'logs/engine' },
  { dir: ['server', 'logs'], label: 'logs/server' },
];

export const CACHE_DIR = ['Upwork', 'Cache'];

const IMAGE_RE = /\.(?:png|jpe?g|webp|bmp|gif)$/i;
export const isScreenshot = (rel: string) => IMAGE_RE.test(rel);
