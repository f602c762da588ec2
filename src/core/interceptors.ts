/**
 * Names the product that intercepts TLS from the issuer of the certificate it presents.
 *
 * Antivirus web shields, corporate gateways and debugging proxies re-sign every site with their own
 * root. Node's bundled roots do not trust that root, so the tracker's uploads fail while the browser
 * works. Naming the product tells the user or the admin exactly what to exempt. The patterns follow
 * Chromium's "MITM software" list (ssl_error_assistant) plus AV roots seen in the wild; they are
 * kept as data so the network probes and the antivirus check share one table.
 */

export type InterceptorKind = 'antivirus' | 'corporate-proxy' | 'debugging-proxy';

export interface Interceptor {
  vendor: string;
  product: string;
  kind: InterceptorKind;
}

interface InterceptorPattern extends Interceptor {
  /** Matched case-insensitively against the whole issuer DN (CN, O, OU in any order and format). */
  issuer: RegExp;
}

/** Order matters: more specific patterns (AVG before Avast, Blue Coat before Symantec) come first. */
export const INTERCEPTOR_PATTERNS: readonly InterceptorPattern[] = [
  {
    vendor: 'AVG',
    product: 'AVG Web/Mail Shield',
    kind: 'antivirus',
    issuer: /\bAVG\b.*(web|mail|shield)|AVG Technologies/i,
  },
  { vendor: 'Avast', product: 'Avast Web/Mail Shield', kind: 'antivirus', issuer: /avast!?|Avast Software/i },
  {
    vendor: 'Kaspersky',
    product: 'Kaspersky Anti-Virus web traffic scanning',
    kind: 'antivirus',
    issuer: /Kaspersky/i,
  },
  { vendor: 'ESET', product: 'ESET SSL Filter', kind: 'antivirus', issuer: /\bESET\b|ESET SSL Filter/i },
  {
    vendor: 'Bitdefender',
    product: 'Bitdefender Online Threat Prevention',
    kind: 'antivirus',
    issuer: /Bitdefender/i,
  },
  {
    vendor: 'Broadcom',
    product: 'Blue Coat / Symantec Web Security Service',
    kind: 'corporate-proxy',
    issuer: /Blue ?Coat|Symantec Web Security|\bWSS\b|ProxySG/i,
  },
  { vendor: 'Norton', product: 'Norton Web/Mail Shield', kind: 'antivirus', issuer: /Norton|Symantec/i },
  {
    vendor: 'McAfee',
    product: 'McAfee Web Gateway',
    kind: 'corporate-proxy',
    issuer: /McAfee Web Gateway|Skyhigh/i,
  },
  { vendor: 'McAfee', product: 'McAfee antivirus web protection', kind: 'antivirus', issuer: /McAfee/i },
  { vendor: 'Sophos', product: 'Sophos web filtering', kind: 'antivirus', issuer: /Sophos/i },
  {
    vendor: 'Trend Micro',
    product: 'Trend Micro web protection (IWSS)',
    kind: 'antivirus',
    issuer: /Trend ?Micro|\bIWSS\b/i,
  },
  { vendor: 'Zscaler', product: 'Zscaler Internet Access', kind: 'corporate-proxy', issuer: /Zscaler/i },
  {
    vendor: 'Fortinet',
    product: 'FortiGate SSL inspection',
    kind: 'corporate-proxy',
    issuer: /Forti(Gate|net)/i,
  },
  {
    vendor: 'Palo Alto Networks',
    product: 'Palo Alto Networks SSL decryption',
    kind: 'corporate-proxy',
    issuer: /Palo ?Alto|PAN-OS/i,
  },
  { vendor: 'Netskope', product: 'Netskope SSL inspection', kind: 'corporate-proxy', issuer: /Netskope/i },
  {
    vendor: 'Cisco',
    product: 'Cisco Umbrella SSL inspection',
    kind: 'corporate-proxy',
    issuer: /Cisco Umbrella|OpenDNS/i,
  },
  { vendor: 'mitmproxy', product: 'mitmproxy', kind: 'debugging-proxy', issuer: /mitmproxy/i },
  { vendor: 'Charles', product: 'Charles Proxy', kind: 'debugging-proxy', issuer: /Charles Proxy|XK72/i },
  { vendor: 'Telerik', product: 'Fiddler', kind: 'debugging-proxy', issuer: /Fiddler|DO_NOT_TRUST/i },
];

/**
 * The interception product named by an issuer DN (any format: `CN=..., O=...`, Node's
 * `X509Certificate.issuer` with newlines, or a bare common name), or undefined for a public CA.
 */
export function identifyInterceptor(issuerDn: string): Interceptor | undefined {
  if (!issuerDn) return undefined;
  for (const p of INTERCEPTOR_PATTERNS) {
    if (p.issuer.test(issuerDn)) return { vendor: p.vendor, product: p.product, kind: p.kind };
  }
  return undefined;
}
