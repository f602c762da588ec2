/** Whether the tracker's data folder exists, who owns it, and whether this user can read and write it. */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { defineCollector } from '../core/collector.js';

export interface DataDirFacts {
  path: string;
  exists: boolean;
  isDirectory: boolean;
  readable: boolean;
  writable: boolean;
  /** POSIX owner uid of the folder, or null on Windows / when missing. */
  ownerUid: number | null;
  /** Effective uid of this process, or -1 where there is none (Windows). */
  processUid: number;
  /** Permission bits, e.g. "755", or null. */
  mode: string | null;
}

declare module '../core/facts.js' {
  interface FactMap {
    dataDir: DataDirFacts;
  }
}

async function can(p: string, mode: number): Promise<boolean> {
  try {
    await access(p, mode);
    return true;
  } catch {
    return false;
  }
}

export const dataDirCollector = defineCollector({
  key: 'dataDir',
  scope: 'tracker',
  title: 'tracker data folder',
  timeoutMs: 3_000,
  async collect({ ctx, target, source }) {
    source('file', target.dataDir);
    const base: DataDirFacts = {
      path: target.dataDir,
      exists: false,
      isDirectory: false,
      readable: false,
      writable: false,
      ownerUid: null,
      processUid: ctx.uid,
      mode: null,
    };
    let st;
    try {
      st = await stat(target.dataDir);
    } catch {
      return base;
    }
    return {
      ...base,
      exists: true,
      isDirectory: st.isDirectory(),
      readable: await can(target.dataDir, constants.R_OK | constants.X_OK),
      writable: await can(target.dataDir, constants.W_OK),
      ownerUid: ctx.platform === 'win32' ? null : st.uid,
      mode: (st.mode & 0o777).toString(8),
    };
  },
});
