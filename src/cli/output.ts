import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../core/context.js';
import { UserError } from '../core/errors.js';

/** Write a file whole or not at all: a temp file beside it, then rename. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UserError(
      `Cannot write ${file}: ${code === 'ENOENT' ? 'the folder does not exist' : code === 'EACCES' ? 'permission denied' : code === 'ENOSPC' ? 'the disk is full' : code}.`,
    );
  }
}

/** Whether the terminal shows ✓ ! ✗: everywhere but the legacy Windows console (Windows Terminal sets WT_SESSION). */
export function canShowUnicode(ctx: Pick<Context, 'platform' | 'env'>): boolean {
  return ctx.platform !== 'win32' || Boolean(ctx.env.WT_SESSION);
}

/** A rendered report goes to --output (written whole) or to stdout. */
export async function emitReport(ctx: Context, rendered: string, output: string | undefined): Promise<void> {
  if (output) {
    await writeFileAtomic(output, rendered);
    ctx.logger.info(`Report written to ${output}`);
  } else {
    ctx.stdout(rendered);
  }
}
