/** Free and total space on the volume that holds the tracker's data folder (fs.statfs). */
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { NotCollectedError, defineCollector } from '../core/collector.js';
import { existingAncestor } from './fs-util.js';

export interface DiskFacts {
  /** The folder measured: the data folder, or its nearest existing parent. */
  path: string;
  freeBytes: number;
  totalBytes: number;
}

declare module '../core/facts.js' {
  interface FactMap {
    disk: DiskFacts;
  }
}

export const diskCollector = defineCollector({
  key: 'disk',
  scope: 'world',
  title: 'disk space',
  timeoutMs: 3_000,
  async collect({ target, source, waitingOn }) {
    const dir = await existingAncestor(path.resolve(target.dataDir));
    if (!dir) throw new NotCollectedError('error', `no existing folder above ${target.dataDir}`);
    waitingOn(`statfs ${dir}`);
    source('file', dir);
    const s = await statfs(dir);
    // bavail: blocks available to an unprivileged user, which is what the tracker gets.
    return {
      path: dir,
      freeBytes: Number(s.bavail) * Number(s.bsize),
      totalBytes: Number(s.blocks) * Number(s.bsize),
    };
  },
});
