/**
 * A folder's fingerprint, entry by entry, so a test can say exactly what changed: every file's
 * size, mtime, mode and sha256, every folder's mode, every link's target (links are not followed:
 * the Helper's link points at the Node binary).
 */
import crypto from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export type FolderPrint = Map<string, string>;

export function folderPrint(dir: string): FolderPrint {
  const out: FolderPrint = new Map();
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      const st = lstatSync(p);
      const rel = path.relative(dir, p).split(path.sep).join('/');
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out.set(`${rel}/`, `dir ${mode}`);
        walk(p);
      } else if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(p)}`);
      else
        out.set(
          rel,
          `${st.size} ${st.mtimeMs} ${mode} ${crypto.createHash('sha256').update(readFileSync(p)).digest('hex')}`,
        );
    }
  };
  walk(dir);
  return out;
}

export interface PrintDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

export function diffPrints(before: FolderPrint, after: FolderPrint): PrintDiff {
  const d: PrintDiff = { added: [], removed: [], changed: [] };
  for (const [k, v] of after) {
    if (!before.has(k)) d.added.push(k);
    else if (before.get(k) !== v) d.changed.push(k);
  }
  for (const k of before.keys()) if (!after.has(k)) d.removed.push(k);
  return d;
}
