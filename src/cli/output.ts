import { rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../core/context.js';
import { UserError } from '../core/errors.js';
import { asciiText } from '../core/format.js';

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

/** Text for people: in ASCII where the terminal cannot show Unicode (`ctx.unicode`). */
export function forPeople(ctx: Pick<Context, 'unicode'>, text: string): string {
  return ctx.unicode ? text : asciiText(text);
}

/** Text for people on stdout (not JSON or other machine output, which is written as it is). */
export function printText(ctx: Context, text: string): void {
  ctx.stdout(forPeople(ctx, text));
}

/**
 * A rendered report goes to --output (written whole) or to stdout. With --open (HTML only) it is
 * written to --output, or to a fresh file in the temp folder, then opened with the system's
 * viewer; the path is always printed, since over SSH nothing visible happens.
 */
export async function emitReport(
  ctx: Context,
  rendered: string,
  output: string | undefined,
  open?: { format: string; name: string },
): Promise<void> {
  if (open && open.format !== 'html') throw new UserError('--open needs --format html.');
  const file =
    output ?? (open ? path.join(os.tmpdir(), `upwork-doctor-${open.name}-${ctx.now()}.html`) : undefined);
  if (!file) {
    ctx.stdout(rendered);
    return;
  }
  await writeFileAtomic(file, rendered);
  if (!open) {
    ctx.logger.info(`Report written to ${file}`);
    return;
  }
  const abs = path.resolve(file);
  ctx.stdout(`Report written to ${abs}\n`);
  try {
    await ctx.open(abs);
  } catch (e) {
    ctx.logger.warn(
      `could not open it with the system's viewer (${(e as Error).message}); open ${abs} yourself.`,
    );
  }
}
