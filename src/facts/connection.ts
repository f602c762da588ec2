/**
 * connection: whether this computer reaches Upwork's hosts (the ones `network` probes by default),
 * stage by stage, and when not, why: offline, DNS for Upwork's names, the proxy, a firewall, TLS.
 * A world fact: measured against the real service whatever the target; only a named scenario
 * measures its reference server instead (and the fact is then marked simulated).
 */
import { defineCollector } from '../core/collector.js';
import { classifyReachability, networkPulse, reachEndpoint } from '../network/reachability.js';
import type { Reachability } from '../network/reachability.js';
import { probeService, serviceTargets } from './service.js';

export interface ConnectionFacts extends Reachability {
  /** The endpoints are the scenario's reference server, not Upwork's hosts. */
  simulated: boolean;
}

declare module '../core/facts.js' {
  interface FactMap {
    connection: ConnectionFacts;
  }
}

export const connectionCollector = defineCollector({
  key: 'connection',
  scope: 'world',
  simulatedByScenario: true,
  title: 'connection to Upwork',
  timeoutMs: 14_000,
  async collect({ ctx, options, signal, source, waitingOn }) {
    const targets = serviceTargets(ctx, options);
    waitingOn(targets.map((t) => t.endpoint.url).join(', '));
    for (const t of targets) source('url', t.endpoint.url);
    // The same memoised probes the clock and TLS collectors use: one probe per host per run.
    const results = await Promise.all(targets.map((t) => probeService(ctx, t, signal)));
    const endpoints = results.map(reachEndpoint);
    const dnsFailed = endpoints.some((e) => e.failedStage === 'dns');
    const pulse = endpoints.every((e) => e.verdict === 'pass')
      ? undefined
      : await networkPulse(ctx.env, dnsFailed, 3_000, signal);
    return { ...classifyReachability(endpoints, pulse), simulated: targets.some((t) => t.simulated) };
  },
});
