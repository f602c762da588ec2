// ESM loader hooks that log every resolved module URL to $UWD_TRACE_FILE (used by the lazy-load test).
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (process.env.UWD_TRACE_FILE) appendFileSync(process.env.UWD_TRACE_FILE, `${r.url}\n`);
  return r;
}
