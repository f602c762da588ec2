/**
 * Getting a target ready for a run. For the embedded engine this is where its work-diary server is
 * started for the run (and stopped after) when it is not already running, with the Helper, as the
 * real app's would run; the engine room does that. For the installed app there is nothing to
 * prepare, and neither is there when the run reads no tracker fact (`--only clock-skew`).
 */
import type { Collector, PreparedTarget } from '../core/collector.js';
import type { Context } from '../core/context.js';
import type { TargetInfo } from '../core/facts.js';

export type { PreparedTarget } from '../core/collector.js';

/**
 * Whether the facts a run collects need the engine running: a tracker fact (read from the engine's
 * folder, its server and its Helper), or under a named scenario a world fact the scenario's server
 * simulates. World facts are otherwise measured against the real service and never touch the engine.
 */
export function runNeedsEngine(
  target: Pick<TargetInfo, 'kind'>,
  collectors: readonly Pick<Collector, 'scope' | 'simulatedByScenario'>[],
): boolean {
  if (target.kind !== 'embedded' && target.kind !== 'scenario') return false;
  return collectors.some(
    (c) => c.scope === 'tracker' || (target.kind === 'scenario' && c.simulatedByScenario === true),
  );
}

const NOTHING: PreparedTarget = { options: {}, dispose: async () => undefined };

export async function prepareTarget(
  target: TargetInfo,
  ctx: Context,
  opts: { engine?: boolean } = {},
): Promise<PreparedTarget> {
  if ((target.kind === 'embedded' || target.kind === 'scenario') && opts.engine !== false) {
    // The engine (its server, the Helper) is loaded only when the target is the engine, for every
    // command that reads the tracker (check, network, bundle, fix).
    const { prepareEngineTarget } = await import('../engine/embedded.js');
    const prepared = await prepareEngineTarget(target, ctx);
    if (prepared) return prepared;
  }
  return NOTHING;
}
