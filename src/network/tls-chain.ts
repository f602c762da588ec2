/**
 * Reading the certificate chain a server (or whatever sits in the path) presents, and deciding
 * whether someone is decrypting the traffic. When verification fails Node only shows what was sent
 * (leaf and intermediates), so the interceptor is named from the issuer of the top-most certificate.
 */
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';
import { identifyInterceptor } from '../core/interceptors.js';
import type { CertSummary, InterceptionInfo } from './types.js';

type Dn = PeerCertificate['subject'] | undefined;

/** "CN=…, O=…, OU=…" from Node's DN object (values may be arrays for repeated attributes). */
export function formatDn(dn: Dn): string {
  if (!dn) return '';
  const order = ['CN', 'OU', 'O', 'L', 'ST', 'C'];
  const rec = dn as unknown as Record<string, string | string[] | undefined>;
  const keys = [...order.filter((k) => k in rec), ...Object.keys(rec).filter((k) => !order.includes(k))];
  const parts: string[] = [];
  for (const k of keys) {
    const v = rec[k];
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) parts.push(`${k}=${x}`);
  }
  return parts.join(', ');
}

function summarize(c: PeerCertificate): CertSummary {
  const subject = formatDn(c.subject);
  const issuer = formatDn(c.issuer);
  return {
    subject,
    issuer,
    validFrom: new Date(c.valid_from).toISOString(),
    validTo: new Date(c.valid_to).toISOString(),
    fingerprint256: c.fingerprint256,
    selfSigned: subject === issuer,
  };
}

/** The presented chain, leaf first, stopping where it loops (a self-signed root points at itself). */
export function walkChain(socket: TLSSocket): CertSummary[] {
  const out: CertSummary[] = [];
  const seen = new Set<string>();
  let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (c && Object.keys(c).length > 0 && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(summarize(c));
    c = c.issuerCertificate;
  }
  return out;
}

/** Authorization errors that mean "the chain does not lead to a root we trust". */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

export function isUntrustedChainError(code: string | undefined): boolean {
  return code !== undefined && UNTRUSTED.has(code);
}

export interface InterceptionInput {
  host: string;
  /** The chain presented on the tracker's path (through the proxy, or direct). */
  chain: CertSummary[];
  /** Whether that chain verified against Node's roots (plus any extra CA). */
  authorized: boolean;
  authorizationError?: string;
  /** The chain a direct connection gets, when one could be made (proxied paths only). */
  directChain?: CertSummary[];
  directAuthorized?: boolean;
}

/**
 * Decide whether the path decrypts TLS. Evidence, strongest first: the issuer names a known
 * interception product; the leaf differs from the one a direct connection gets while the direct one
 * is trusted; the chain leads to a root Node does not trust.
 */
export function analyseInterception(input: InterceptionInput): InterceptionInfo | undefined {
  const top = input.chain[input.chain.length - 1];
  if (!top) return undefined;
  const issuer = top.issuer;
  const named = input.chain.map((c) => identifyInterceptor(c.issuer)).find(Boolean);
  const evidence: string[] = [];
  if (named) evidence.push(`the issuer "${issuer}" belongs to ${named.product}`);
  const leaf = input.chain[0];
  const directLeaf = input.directChain?.[0];
  const differs = Boolean(leaf && directLeaf && leaf.fingerprint256 !== directLeaf.fingerprint256);
  if (differs && input.directAuthorized) {
    evidence.push(
      `the certificate presented through the proxy differs from the one the server presents directly (issued by "${directLeaf!.issuer}")`,
    );
  }
  const untrusted = !input.authorized && isUntrustedChainError(input.authorizationError);
  if (untrusted && (named || differs)) {
    evidence.push(`the chain does not lead to a root Node trusts (${input.authorizationError})`);
  }
  if (!named && !(differs && input.directAuthorized)) return undefined;
  return {
    detected: true,
    issuer,
    ...(named
      ? { vendor: named.vendor, product: named.product, kind: named.kind }
      : { kind: 'unknown' as const }),
    evidence,
    exemptHosts: [input.host],
  };
}

/** Words for an interception, for the admin: who decrypts, and what to exempt. */
export function describeInterception(i: InterceptionInfo): string {
  const who = i.product ? `${i.product} (issuer "${i.issuer}")` : `an unknown product (issuer "${i.issuer}")`;
  const what =
    i.kind === 'antivirus'
      ? 'turn off HTTPS scanning for these hosts in the antivirus'
      : i.kind === 'debugging-proxy'
        ? 'stop the debugging proxy or exclude these hosts from SSL proxying'
        : 'exempt these hosts from TLS inspection on the gateway';
  return `TLS is intercepted by ${who}: ${what}: ${i.exemptHosts.join(', ')}.`;
}
