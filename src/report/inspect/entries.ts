/**
 * Where a bundle's entries come from: the zip (decrypted first when it is CMS), or a folder, which
 * is what an agent has after unzipping a bundle. Both are streamed, entry by entry, to one consumer
 * and read with the same limits; nothing is extracted or followed outside the bundle.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { UserError } from '../../core/errors.js';
import { escapeControl, printableName } from '../../core/format.js';
import { DEFAULT_LIMITS, HostileArchiveError, readZipEntries } from './zip-reader.js';
import type { ZipEntryInfo, ZipLimits } from './zip-reader.js';

export type EntryConsumer = (entry: ZipEntryInfo, stream: Readable) => Promise<void>;

const shown = (file: string) => escapeControl(file);

function unreadable(file: string, e: NodeJS.ErrnoException): UserError {
  const why =
    e.code === 'ENOENT'
      ? 'no such file'
      : e.code === 'EACCES'
        ? 'permission denied'
        : (e.code ?? 'unreadable');
  return new UserError(`Cannot read ${shown(file)}: ${why}.`);
}

/** Decrypt `file` into `tmp` when it is CMS; returns the zip to read. */
async function plainZip(
  file: string,
  keyFile: string | undefined,
  tmp: string,
): Promise<{ zip: string; encrypted: boolean }> {
  const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    throw unreadable(file, e);
  });
  const head = Buffer.alloc(16);
  try {
    await fh.read(head, 0, 16, 0);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x50 && head[1] === 0x4b) return { zip: file, encrypted: false };
  const { looksLikeCms, decryptCmsFile, CmsFormatError } = await import('../bundle/cms.js');
  if (!looksLikeCms(head))
    throw new UserError(`${shown(file)} is neither a zip nor an encrypted (CMS) bundle.`);
  if (!keyFile)
    throw new UserError(`${shown(file)} is encrypted; pass --key with the support team's private key.`);
  let key: Buffer;
  try {
    key = await readFile(keyFile);
  } catch (e) {
    throw new UserError(
      `Cannot read --key ${shown(keyFile)}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}.`,
    );
  }
  const out = path.join(tmp, 'bundle.zip');
  const ws = createWriteStream(out, { flags: 'wx', mode: 0o600 });
  try {
    await decryptCmsFile(file, key, ws);
    await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
  } catch (e) {
    ws.destroy();
    if (e instanceof CmsFormatError)
      throw new UserError(`${shown(file)} is not a valid encrypted bundle: ${e.message}.`);
    throw e;
  }
  return { zip: out, encrypted: true };
}

/**
 * Every regular file under `dir` as an entry named by its path inside the folder (`/`-separated).
 * A symlink is refused as in a zip: following it could read anything on the agent's machine.
 */
export async function readFolderEntries(
  dir: string,
  consume: EntryConsumer,
  limits: ZipLimits = DEFAULT_LIMITS,
): Promise<number> {
  const pending = [''];
  let count = 0;
  let total = 0;
  while (pending.length > 0) {
    const rel = pending.pop()!;
    const listing = await readdir(path.join(dir, rel), { withFileTypes: true }).catch(
      (e: NodeJS.ErrnoException) => {
        throw unreadable(path.join(dir, rel), e);
      },
    );
    for (const d of listing.sort((a, b) => a.name.localeCompare(b.name))) {
      const name = rel ? `${rel}/${d.name}` : d.name;
      if (d.isSymbolicLink())
        throw new HostileArchiveError(
          `${shown(dir)} holds a symlink (${printableName(name)}); refusing to read it.`,
        );
      if (d.isDirectory()) {
        pending.push(name);
        continue;
      }
      if (!d.isFile()) continue;
      if (++count > limits.maxEntries)
        throw new HostileArchiveError(
          `${shown(dir)} holds more than ${limits.maxEntries} files; refusing to read it.`,
        );
      const full = path.join(dir, name);
      const size = (await lstat(full)).size;
      total += size;
      if (total > limits.maxTotalBytes)
        throw new HostileArchiveError(
          `${shown(dir)} holds more than ${Math.round(limits.maxTotalBytes / 1024 ** 2)} MiB; refusing to read it.`,
        );
      await consume(
        { name, index: count - 1, compressedSize: size, uncompressedSize: size },
        createReadStream(full, { highWaterMark: 1024 * 1024 }),
      );
    }
  }
  return count;
}

/** Stream the bundle's entries, from a folder or a (possibly encrypted) zip. */
export async function readBundleEntries(
  file: string,
  opts: { key?: string | undefined; tmp: string; concurrency?: number },
  consume: EntryConsumer,
): Promise<{ encrypted: boolean; folder: boolean }> {
  // The path the agent gave may itself be a symlink; inside the folder none is followed.
  const st = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw unreadable(file, e);
  });
  if (st.isDirectory()) {
    if (opts.key)
      throw new UserError(`${shown(file)} is a folder, so there is nothing to decrypt: leave out --key.`);
    await readFolderEntries(file, consume);
    return { encrypted: false, folder: true };
  }
  const { zip, encrypted } = await plainZip(file, opts.key, opts.tmp);
  await readZipEntries(zip, consume, { concurrency: opts.concurrency ?? 1 });
  return { encrypted, folder: false };
}
