/**
 * upwork-connection: whether this computer reaches Upwork's hosts (www.upwork.com and the update
 * host), and when it does not, the one cause with the stage that failed: offline, DNS for Upwork's
 * names only, the proxy, a firewall, TLS or the service.
 * Why: a tracker that cannot reach Upwork keeps time in its offline cache (24 h at most) and a
 * blocked update host stops the app (updates are forced); an offline machine must read as one clear
 * finding, never as a pass because some other server answered.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import type { Platform } from '../core/check.js';
import type { CheckOutcome } from '../core/finding.js';
import { factValue } from '../core/facts.js';
import type { ConnectionFacts } from '../facts/connection.js';

const DOCS = 'docs/checks/upwork-connection.md';

const CACHE_NOTE =
  'The tracker keeps up to 24 h of tracked time in its offline cache and uploads it once it can reach Upwork again.';

function hostList(c: ConnectionFacts): string {
  return c.endpoints.map((e) => e.host || e.url).join(', ');
}

/**
 * The hosts IT is asked to allow: Upwork's, never the reference server that stands in for them
 * inside a simulated scenario (asking IT to allow 127.0.0.1 would be advice about our model).
 */
function hostsToAllow(c: ConnectionFacts): string {
  return c.simulated
    ? "Upwork's hosts (in this simulated scenario the reference server on this computer stands in for them)"
    : hostList(c);
}

/** The outcome for a connection that fails, by cause. */
function blocked(c: ConnectionFacts, details: string[], evidence: Record<string, unknown>): CheckOutcome {
  const stage = `${c.failedStage ?? 'first'} stage`;
  // One full stop: the probe's words may end with their own.
  const words = c.words.replace(/\.$/, '');
  if (c.cause === 'offline') {
    return {
      status: 'warn',
      code: 'UWD-CONN-002',
      summary: `This computer is offline (${stage}: ${words}). ${CACHE_NOTE}`,
      details,
      evidence,
      remediation: {
        text: 'Connect to the internet; the tracker uploads its cache when you are back.',
        docsUrl: DOCS,
      },
    };
  }
  const admin: Record<string, { code: string; text: string }> = {
    dns: {
      code: 'UWD-CONN-003',
      text: `Ask IT (or your DNS filter) to allow ${hostsToAllow(c)}; docs/network.md lists every host.`,
    },
    proxy: {
      code: 'UWD-CONN-004',
      text: 'Ask IT to let the tracker through the proxy (see `upwork-doctor network` for the exact answer).',
    },
    firewall: {
      code: 'UWD-CONN-005',
      text: `Ask IT to allow HTTPS (TCP 443) to ${hostsToAllow(c)}; docs/network.md lists every host.`,
    },
    tls: {
      code: 'UWD-CONN-006',
      text: 'See the TLS settings finding: something in the path breaks the secure connection.',
    },
    service: {
      code: 'UWD-CONN-007',
      text: 'Check https://status.upwork.com for an outage; the tracker keeps time in its cache meanwhile.',
    },
    timeout: {
      code: 'UWD-CONN-008',
      text: 'Run again with a longer --deadline, or run `upwork-doctor network` for the stages.',
    },
  };
  const a = admin[c.cause] ?? admin.service!;
  return {
    status: c.cause === 'service' ? 'warn' : c.cause === 'timeout' ? 'timeout' : 'fail',
    code: a.code,
    summary: `The tracker cannot reach Upwork (${stage}): ${words}. ${CACHE_NOTE}`,
    details,
    evidence,
    remediation: { text: a.text, commands: ['upwork-doctor network'], docsUrl: DOCS },
  };
}

export const upworkConnection = defineCheck({
  id: 'upwork-connection',
  title: 'Connection to Upwork',
  category: 'network',
  platforms: ['win32', 'darwin', 'linux'] as Platform[],
  needs: ['connection'],
  docs: DOCS,
  codePrefix: 'UWD-CONN',
  timeoutMs: 1_000,
  run(facts) {
    const missing = missingFacts(this, facts);
    if (missing) return missing;
    const c = factValue(facts, 'connection')!;
    const details = c.endpoints.map(
      (e) =>
        `${e.name} (${e.url}): ${e.verdict === 'pass' ? 'reachable' : `${e.failedStage ?? '?'} stage: ${e.message}`}`,
    );
    const evidence: Record<string, unknown> = {
      cause: c.cause,
      failedStage: c.failedStage,
      endpoints: c.endpoints,
      pulse: c.pulse,
      simulated: c.simulated,
    };
    if (c.cause !== 'ok') return blocked(c, details, evidence);
    return {
      status: 'pass',
      code: 'UWD-CONN-001',
      summary: `This computer reaches ${c.simulated ? 'the reference server' : "Upwork's hosts"} (${hostList(c)}).`,
      details,
      evidence,
    };
  },
});
