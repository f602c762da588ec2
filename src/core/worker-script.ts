/**
 * Where a worker thread's script is: worker threads run JavaScript, so the built file next to the
 * caller; when the caller runs from the TypeScript sources (the tests), the built copy under
 * dist/, if there is one. Undefined: no built script, the caller does the work on its own thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function builtWorkerScript(name: string, from: string): URL | undefined {
  const here = new URL(name, from);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL(here.href.replace('/src/', '/dist/'));
  return built.href !== here.href && existsSync(fileURLToPath(built)) ? built : undefined;
}
