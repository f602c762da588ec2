/**
 * Why Upwork cannot be reached, in one cause: this computer is offline (no network interface, or
 * no name resolves at all), DNS fails for Upwork's names only (filtering), the proxy, a firewall
 * (TCP refused, dropped or reset), TLS, or the service itself. A dead network must read as one
 * clear finding with its failing stage, never as a pass nor as a pile of skips.
 */
import dns from 'node:dns';
import os from 'node:os';
import { bounded, errorCode } from './transport.js';
import type { EndpointResult, StageName } from './types.js';

export type ReachCause = 'ok' | 'offline' | 'dns' | 'proxy' | 'firewall' | 'tls' | 'service' | 'timeout';

export interface ReachEndpoint {
  name: string;
  url: string;
  host: string;
  verdict: EndpointResult['verdict'];
  failedStage?: StageName;
  errorCode?: string;
  message: string;
}

/** What the network looks like beyond Upwork: used only when Upwork's names do not resolve. */
export interface NetworkPulse {
  /** Network interfaces other than loopback that have an address. */
  interfacesUp: number;
  /** A lookup of a name that is not Upwork's, to tell "DNS is down" from "Upwork's names are blocked". */
  control?: { host: string; resolves: boolean; error?: string };
}

export interface Reachability {
  cause: ReachCause;
  /** The stage that failed first (of the first endpoint that failed). */
  failedStage?: StageName;
  /** One sentence: the cause, in words. */
  words: string;
  endpoints: ReachEndpoint[];
  pulse?: NetworkPulse;
}

/** The cause in a few words, for one-line notes. */
export const CAUSE_WORDS: Record<ReachCause, string> = {
  ok: 'reachable',
  offline: 'this computer is offline',
  dns: "DNS blocks Upwork's names",
  proxy: 'the proxy',
  firewall: 'a firewall',
  tls: 'the secure connection (TLS)',
  service: "Upwork's service",
  timeout: 'the deadline',
};

export function reachEndpoint(r: EndpointResult): ReachEndpoint {
  const failed = r.stages.find((s) => s.stage === r.failedStage);
  return {
    name: r.endpoint.name,
    url: r.endpoint.url,
    host: r.host,
    verdict: r.verdict,
    message: r.message,
    ...(r.failedStage ? { failedStage: r.failedStage } : {}),
    ...(failed?.error ? { errorCode: failed.error.code } : {}),
  };
}

const OFFLINE_TCP = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EADDRNOTAVAIL']);

/** The cause, from the first failing endpoint's stage and error, and the network pulse. Pure. */
export function classifyReachability(endpoints: ReachEndpoint[], pulse?: NetworkPulse): Reachability {
  const bad = endpoints.find((e) => e.verdict !== 'pass');
  if (!bad) return { cause: 'ok', words: 'every Upwork host answered', endpoints };
  const base = { failedStage: bad.failedStage ?? 'proxy', endpoints, ...(pulse ? { pulse } : {}) };
  const host = bad.host || bad.url;
  if (bad.verdict === 'timeout')
    return {
      ...base,
      cause: 'timeout',
      words: `the run's deadline ended the probe of ${host} (${bad.failedStage} stage)`,
    };
  if (pulse && pulse.interfacesUp === 0)
    return {
      ...base,
      cause: 'offline',
      words: 'no network interface is up',
    };
  switch (bad.failedStage) {
    case 'proxy':
      return { ...base, cause: 'proxy', words: `the proxy does not let the tracker through: ${bad.message}` };
    case 'dns':
      if (pulse?.control && !pulse.control.resolves)
        return {
          ...base,
          cause: 'offline',
          words: `no name resolves, neither ${host} nor ${pulse.control.host} (${bad.errorCode ?? 'no answer'})`,
        };
      return {
        ...base,
        cause: 'dns',
        words: `DNS does not resolve Upwork's name ${host} while other names resolve: DNS filtering or a DNS server problem blocks Upwork (${bad.errorCode ?? 'no answer'})`,
      };
    case 'tcp':
      if (bad.errorCode && OFFLINE_TCP.has(bad.errorCode))
        return {
          ...base,
          cause: 'offline',
          words: `there is no route to the internet (${bad.errorCode})`,
        };
      return { ...base, cause: 'firewall', words: firewallWords(bad.message) };
    case 'tls':
      return {
        ...base,
        cause: 'tls',
        words: `the secure connection fails: ${bad.message.replace(/\.$/, '')}`,
      };
    default:
      return {
        ...base,
        cause: 'service',
        words: `${host} answers with an error: ${bad.message.replace(/\.$/, '')}`,
      };
  }
}

/** Name the firewall once: the probe's own message usually does ("refused: a firewall is …"). */
function firewallWords(message: string): string {
  const msg = message.replace(/\.$/, '');
  return /firewall/i.test(msg) ? msg : `a firewall blocks the connection: ${msg}`;
}

/**
 * TEST SEAM, not a user option: `UPWORK_DOCTOR_CONTROL_HOST` replaces the control name, so tests
 * can pin "other names resolve" (localhost) or "nothing resolves" (a .invalid name).
 */
export const CONTROL_HOST_ENV = 'UPWORK_DOCTOR_CONTROL_HOST';
/** A name that is not Upwork's and is always published (RFC 2606). */
export const CONTROL_HOST = 'example.com';

/** Count the interfaces that are up and, when asked, look up the control name (bounded). */
export async function networkPulse(
  env: Record<string, string | undefined>,
  withControl: boolean,
  timeoutMs = 3_000,
  signal?: AbortSignal,
): Promise<NetworkPulse> {
  const interfacesUp = Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal).length;
  if (!withControl || interfacesUp === 0) return { interfacesUp };
  const host = env[CONTROL_HOST_ENV]?.trim() || CONTROL_HOST;
  try {
    await bounded(() => dns.promises.lookup(host), timeoutMs, signal, `DNS lookup of ${host}`);
    return { interfacesUp, control: { host, resolves: true } };
  } catch (e) {
    return { interfacesUp, control: { host, resolves: false, error: errorCode(e) } };
  }
}
