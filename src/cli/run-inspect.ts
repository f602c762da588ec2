/** The body of `upwork-doctor inspect`: verify, summarise, re-run the checks on a bundle. */
import { createContext } from '../core/context.js';
import type { Context } from '../core/context.js';
import { ExitCode } from '../core/exit-codes.js';
import type { InspectResult } from '../report/inspect/inspect.js';
import type { CommandHost } from './host.js';
import { logLevelFor } from './options.js';
import { emitReport, forPeople } from './output.js';
import type { OutputFlags } from './options.js';

export interface InspectOptions extends OutputFlags {
  key?: string;
  json?: boolean;
  format?: 'text' | 'json' | 'html';
  output?: string;
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
  const { inspectBundle } = await import('../report/inspect/inspect.js');
  // Re-running checks must not print progress into the agent's summary.
  const result = await inspectBundle(bundle, { key: opts.key, hours: opts.hours, ctx });
  const format = opts.json ? 'json' : (opts.format ?? 'text');
  const rendered =
    format === 'json'
      ? `${JSON.stringify(result, null, 2)}\n`
      : format === 'html'
        ? (await import('../report/html/inspect.js')).renderInspectHtml(result, opts.hours)
        : forPeople(
            ctx,
            (await import('../report/inspect/render-text.js')).renderInspect(result, opts.hours),
          );
  await emitReport(ctx, rendered, opts.output, opts.open ? { format, name: 'inspect' } : undefined);
  return inspectExitCode(result);
}

/** 2 when a part of the bundle could not be read, 1 when an entry does not match the manifest, else 0. */
export function inspectExitCode(result: Pick<InspectResult, 'problems' | 'verification'>): number {
  if (result.problems.length > 0) return ExitCode.Usage;
  return result.verification.ok ? ExitCode.Ok : ExitCode.Failed;
}
