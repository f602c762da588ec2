/**
/**
 * The service endpoint as the collectors see it: Upwork's real service, or (only under a named
 * scenario, which the runner decides) the engine's reference server; which proxy; and one memoised
 * probe per endpoint per run, so a dead network costs one timeout for the whole run, not one per
 * check. It lives with the collectors (not in network/) because it reads the proxy facts: network/
 * sits below facts/ and never imports it.
 */
import type { CollectorInput } from '../core/collector.js';
import type { Context } from '../core/context.js';
import { REFERENCE_SERVER_NAME, endpointFromUrl, upworkEndpoints } from '../network/endpoints.js';
import { memoised } from '../network/memo.js';
import { probeEndpoint } from '../network/probe.js';
import { decideProxy, envProxy } from '../network/proxy.js';
import type { Endpoint, EndpointResult, ProxyDecision } from '../network/types.js';
import { readProxyFacts } from './proxy.js';

export const SERVICE_STAGE_TIMEOUT_MS = 4_000;

export interface ServiceTarget {
  endpoint: Endpoint;
  extraCa: string[];
  /** The engine's reference server (a named scenario simulating the service), not Upwork's. */
  simulated: boolean;
}

/** Every endpoint a world collector measures: Upwork's hosts, or the scenario's reference server. */
export function serviceTargets(
  ctx: Pick<Context, 'env'>,
  options: CollectorInput['options'],
): ServiceTarget[] {
  if (typeof options.serviceUrl === 'string' && options.serviceUrl) {
    const extraCa = typeof options.extraCaPem === 'string' && options.extraCaPem ? [options.extraCaPem] : [];
    return [
      {
        endpoint: endpointFromUrl(options.serviceUrl, REFERENCE_SERVER_NAME),
        extraCa,
        simulated: true,
      },
    ];
  }
  return upworkEndpoints(ctx.env).map((endpoint) => ({ endpoint, extraCa: [], simulated: false }));
}

/** The one endpoint the clock and TLS are measured against: the first of serviceTargets. */
export function serviceTarget(ctx: Pick<Context, 'env'>, options: CollectorInput['options']): ServiceTarget {
  return serviceTargets(ctx, options)[0]!;
}

/** The proxy the tracker would use for `url` (system settings, else environment; PAC not evaluated here). */
export function serviceDecision(ctx: Context, url: string): Promise<ProxyDecision> {
  return memoised(ctx, `decision ${url}`, async () => {
    const facts = await memoised(ctx, 'proxy facts', () =>
      readProxyFacts({ ctx, source: () => undefined, waitingOn: () => undefined }).catch(() => ({ env: {} })),
    );
    const sys = 'system' in facts ? facts.system : undefined;
    const r = await decideProxy({
      url: new URL(url),
      platform: ctx.platform,
      env: envProxy(ctx.env),
      ...(sys ? { system: sys } : {}),
    });
    return r.decision;
  });
}

/** One probe of the service per run (memoised on the run's Context). */
export function probeService(
  ctx: Context,
  target: ServiceTarget,
  signal?: AbortSignal,
): Promise<EndpointResult> {
  return memoised(ctx, `probe ${target.endpoint.url}`, async () => {
    const decision = await serviceDecision(ctx, target.endpoint.url);
    return probeEndpoint(target.endpoint, decision, {
      stageTimeoutMs: SERVICE_STAGE_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
      extraCa: target.extraCa,
      monotonic: () => ctx.monotonic(),
    });
  });
}
