/**
 * Getting a target ready for a run. For the embedded engine this is where its work-diary server is
 * started for the run (and stopped after) when it is not already running; the engine room fills
 * that in. For the installed app there is nothing to prepare.
 */
import type { RunOptions } from '../core/collector.js';
import type { Context } from '../core/context.js';
import type { TargetInfo } from '../core/facts.js';

export interface PreparedTarget {
  options: RunOptions;
  dispose(): Promise<void>;
}

export type TargetPreparer = (target: TargetInfo, ctx: Context) => Promise<PreparedTarget | undefined>;
const preparers: TargetPreparer[] = [];

export function addTargetPreparer(p: TargetPreparer): void {
  preparers.push(p);
}

export async function prepareTarget(target: TargetInfo, ctx: Context): Promise<PreparedTarget> {
  if (target.kind === 'embedded' || target.kind === 'scenario') {
    // The engine (its server, the Helper) is loaded only when the target is the engine, for every
    // command that reads the tracker (check, network, bundle, fix).
    const { registerEnginePreparer } = await import('../engine/embedded.js');
    registerEnginePreparer();
  }
  for (const p of preparers) {
    const r = await p(target, ctx);
    if (r) return r;
  }
  return { options: {}, dispose: async () => undefined };
}
