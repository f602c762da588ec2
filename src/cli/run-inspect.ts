/** The body of `upwork-doctor inspect`: verify, summarise, re-run the checks on a bundle. */
import { createContext } from '../core/context.js';
import type { Context } from '../core/context.js';
import { ExitCode } from '../core/exit-codes.js';
import type { CommandHost } from './host.js';
import { logLevelFor } from './options.js';
import type { OutputFlags } from './options.js';

export interface InspectOptions extends OutputFlags {
  key?: string;
  json?: boolean;
  hours: number;
}

export async function runInspectCommand(
  bundle: string,
  opts: InspectOptions,
  _host: CommandHost,
  ctxIn?: Context,
): Promise<number> {
  const ctx =
    ctxIn ?? createContext({ logLevel: logLevelFor(opts), color: opts.color === false ? false : undefined });
  const { inspectBundle, renderInspect } = await import('../report/inspect/inspect.js');
  // Re-running checks must not print progress into the agent's summary.
  const result = await inspectBundle(bundle, { key: opts.key, hours: opts.hours, ctx });
  ctx.stdout(opts.json ? `${JSON.stringify(result, null, 2)}\n` : renderInspect(result, opts.hours));
  return result.verification.ok ? ExitCode.Ok : ExitCode.Failed;
}
