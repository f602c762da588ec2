/**
 * Getting a target ready for a run. For the embedded engine this is where its work-diary server is
 * started for the run (and stopped after) when it is not already running; the engine room does
 * that. For the installed app there is nothing to prepare.
 */
import type { PreparedTarget } from '../core/collector.js';
import type { Context } from '../core/context.js';
import type { TargetInfo } from '../core/facts.js';

export type { PreparedTarget } from '../core/collector.js';

export async function prepareTarget(target: TargetInfo, ctx: Context): Promise<PreparedTarget> {
  if (target.kind === 'embedded' || target.kind === 'scenario') {
    // The engine (its server, the Helper) is loaded only when the target is the engine, for every
    // command that reads the tracker (check, network, bundle, fix).
    const { prepareEngineTarget } = await import('../engine/embedded.js');
    const prepared = await prepareEngineTarget(target, ctx);
    if (prepared) return prepared;
  }
  return { options: {}, dispose: async () => undefined };
}
