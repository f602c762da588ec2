/**
 * The whole network diagnosis: decide the proxy for every endpoint, probe all endpoints
 * concurrently (bounded pool), stop everything at the deadline.
 */
import { probeEndpoint } from './probe.js';
import type { ProbeOptions } from './probe.js';
import type { DecideInput, EnvProxy, PacEvaluator, SystemProxy } from './proxy.js';
import { PacLimitError, decideProxy, shellVsApp } from './proxy.js';
import type { Endpoint, EndpointResult, ProxyDecision } from './types.js';

export const NETWORK_SCHEMA_VERSION = 1;

export interface DiagnoseInput {
  endpoints: Endpoint[];
  platform: NodeJS.Platform;
  env: EnvProxy;
  system?: SystemProxy;
  override?: string;
  pac?: { evaluate: PacEvaluator; source: string };
  stageTimeoutMs: number;
  deadlineMs: number;
  extraCa?: string[];
  concurrency?: number;
  monotonic?: () => number;
}

export interface DiagnoseResult {
  endpoints: EndpointResult[];
  notes: string[];
  deadlineHit: boolean;
  durationMs: number;
}

export async function diagnose(input: DiagnoseInput): Promise<DiagnoseResult> {
  const mono = input.monotonic ?? (() => performance.now());
  const t0 = mono();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), input.deadlineMs);
  const notes = new Set<string>();
  const probeOpts: ProbeOptions = {
    stageTimeoutMs: input.stageTimeoutMs,
    signal: ac.signal,
    ...(input.extraCa ? { extraCa: input.extraCa } : {}),
    monotonic: mono,
  };
  const one = async (ep: Endpoint): Promise<EndpointResult> => {
    let decision: ProxyDecision;
    try {
      const d: DecideInput = {
        url: new URL(ep.url),
        platform: input.platform,
        env: input.env,
        ...(input.system ? { system: input.system } : {}),
        ...(input.override ? { override: input.override } : {}),
        ...(input.pac ? { pac: input.pac } : {}),
      };
      const r = await decideProxy(d);
      decision = r.decision;
      const diff = shellVsApp(r.decision, r.envDecision);
      if (diff && !input.override) notes.add(diff);
    } catch (e) {
      // A PAC file that loops or hoards memory is the file's fault, not the path's: stop here.
      if (e instanceof PacLimitError) throw e;
      decision = {
        mode: 'unsupported',
        source: 'PAC',
        display: `the PAC file failed: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
    return probeEndpoint(ep, decision, probeOpts);
  };
  const results: EndpointResult[] = new Array(input.endpoints.length);
  let next = 0;
  const worker = async () => {
    while (next < input.endpoints.length) {
      const i = next++;
      results[i] = await one(input.endpoints[i]!);
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(input.concurrency ?? 8, input.endpoints.length) }, worker),
    );
  } finally {
    clearTimeout(timer);
  }
  const intercepted = results.filter((r) => r.interception?.detected);
  if (intercepted.length > 0) {
    const hosts = [...new Set(intercepted.map((r) => r.host))];
    notes.add(
      `TLS inspection detected: exempt ${hosts.join(', ')} from decryption (the tracker checks certificates against its own roots).`,
    );
  }
  return {
    endpoints: results,
    notes: [...notes],
    deadlineHit: ac.signal.aborted,
    durationMs: Math.round(mono() - t0),
  };
}
