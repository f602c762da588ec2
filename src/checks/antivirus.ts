/**
 * antivirus: which security products are installed and active, whether the tracker is excluded
 * where that can be read, and the evidence that links a product to the tracker's trouble: TLS
 * interception by that vendor's root, black screenshots, blocked or reset uploads in the logs.
 * Why: web shields and endpoint agents re-sign HTTPS, reset uploads and block screen capture; the
 * tracker then sits in caching mode or uploads black screenshots while everything else works.
 * Never suggests turning protection off: it asks for an exclusion.
 * About the real app (research/real-app-facts.md, docs/checks/antivirus.md): its process names
 * (`Upwork.exe` / `upwork` with `--type=` children; macOS `Upwork`) and Upwork's Webroot advice are
 * verified; the macOS helper names and the upload-error wording in its logs are not.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import { factValue } from '../core/facts.js';
import type { Facts } from '../core/facts.js';
import type { SecurityProduct } from '../facts/security.js';
import { identifyInterceptor } from '../core/interceptors.js';
import type { Interceptor } from '../core/interceptors.js';

const DOCS = 'docs/checks/antivirus.md';

/**
 * Issuer DNs anywhere in the `tls` fact, when the network probes collected one in this run. Read
 * loosely: the check must work (with less evidence) when no TLS probe ran.
 */
export function tlsIssuers(facts: Facts): string[] {
  const tls = (facts.items as Record<string, { state?: string; value?: unknown } | undefined>).tls;
  if (!tls || tls.state !== 'collected') return [];
  const out = new Set<string>();
  const walk = (v: unknown, depth: number) => {
    if (depth > 6 || !v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (/^issuer(Dn)?$/i.test(k) && typeof x === 'string' && x) out.add(x);
      else walk(x, depth + 1);
    }
  };
  walk(tls.value, 0);
  return [...out];
}

const active = (p: SecurityProduct) => p.state === 'on' || p.state === 'running';

/** Defender event ids that mean something was actually stopped (1122/1124 are audit-only). */
const BLOCKING_EVENTS: Record<number, string> = {
  1116: 'detected',
  1117: 'quarantined or removed',
  1121: 'blocked with an Attack Surface Reduction rule',
  1123: 'blocked with Controlled Folder Access',
};

export const antivirus = defineCheck({
  id: 'antivirus',
  title: 'Antivirus and security software',
  category: 'security',
  platforms: ['win32', 'darwin', 'linux'],
  needs: ['security', 'screen'],
  docs: DOCS,
  codePrefix: 'UWD-AV',
  run(facts) {
    const missing = missingFacts(this, facts, ['security']);
    if (missing) return missing;
    const sec = factValue(facts, 'security')!;
    const screen = factValue(facts, 'screen');
    const on = sec.products.filter(active);
    const interceptors = tlsIssuers(facts)
      .map((issuer) => ({ issuer, who: identifyInterceptor(issuer) }))
      .filter((x): x is { issuer: string; who: Interceptor } => Boolean(x.who));
    const blackShots = (screen?.screenshots.analysed ?? []).filter((i) => i.verdict === 'black').length;
    const ue = sec.uploadErrors;
    const uploadProblems = ue.counts.tls + ue.counts.reset + ue.counts.blocked + ue.counts['proxy-403'];

    const details = sec.products.map(
      (p) =>
        `${p.name}: ${p.state}${p.upToDate === false ? ', signatures out of date' : ''}${p.productStateHex ? ` (productState ${p.productState} = ${p.productStateHex})` : ''}${p.evidence.length ? ` — ${p.evidence.join(', ')}` : ''}`,
    );
    if (sec.productsError) details.push(`Windows Security Center could not be read: ${sec.productsError}`);
    if (sec.exclusions?.state === 'collected')
      details.push(
        sec.exclusions.coversTracker
          ? `Microsoft Defender excludes the tracker (${sec.exclusions.matched.join(', ')}).`
          : 'Microsoft Defender has no exclusion for the tracker.',
      );
    else if (sec.exclusions)
      details.push(
        `Defender exclusions: not collected (${sec.exclusions.reason}): ${sec.exclusions.message}.`,
      );
    if (uploadProblems > 0)
      details.push(
        `Upload errors in ${ue.logsDir}: ${Object.entries(ue.counts)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')}.`,
        ...ue.samples.map((s) => `  ${s.line}`),
      );
    if (blackShots > 0)
      details.push(
        `${blackShots === 1 ? '1 recent screenshot is' : `${blackShots} recent screenshots are`} black (see "Screen recording").`,
      );
    const events = Array.isArray(sec.defenderEvents) ? sec.defenderEvents : [];
    for (const e of events)
      details.push(`Defender event ${e.id} at ${e.time ?? '?'}: ${e.message.split('\n')[0]}`);
    if (sec.defenderEvents && !Array.isArray(sec.defenderEvents))
      details.push(`Defender's event log could not be read: ${sec.defenderEvents.error}`);
    const evidence: Record<string, unknown> = {
      products: sec.products,
      exclusions: sec.exclusions,
      tlsInterception: interceptors,
      uploadErrors: { logsDir: ue.logsDir, counts: ue.counts, filesScanned: ue.filesScanned },
      blackScreenshots: blackShots,
      defenderEvents: sec.defenderEvents,
    };
    const exclusionFix = (names: string) => ({
      text: `Keep ${names} on, but add an exclusion for the Upwork app folder and exempt Upwork's domains (*.upwork.com) from HTTPS/web scanning. On a managed computer, ask your IT team to do it. Then upload the cached time.`,
      commands: facts.platform === 'win32' ? ['start windowsdefender:'] : [],
      docsUrl: DOCS,
      fixIds:
        uploadProblems > 0 || interceptors.length > 0
          ? ['antivirus-exclusion', 'cache-upload']
          : ['antivirus-exclusion'],
    });

    // Strongest link: the TLS certificate the tracker sees was issued by a security product.
    const av = interceptors.find((i) => i.who.kind === 'antivirus');
    if (av) {
      const installed = on.find((p) => p.vendor === av.who.vendor);
      return {
        status: 'fail',
        code: 'UWD-AV-003',
        summary: `${installed?.name ?? av.who.product} is intercepting the tracker's secure connections (certificate issued by "${av.issuer}"), which can stop time and screenshots from uploading.`,
        details,
        evidence,
        remediation: exclusionFix(installed?.name ?? av.who.product),
      };
    }
    const blocked = events.find((e) => BLOCKING_EVENTS[e.id]);
    if (blocked) {
      return {
        status: 'fail',
        code: 'UWD-AV-006',
        summary: `Microsoft Defender ${BLOCKING_EVENTS[blocked.id]} part of Upwork (event ${blocked.id}${blocked.time ? ` at ${blocked.time}` : ''}), which can stop the tracker from starting, saving time or taking screenshots.`,
        details,
        evidence,
        remediation: {
          ...exclusionFix('Microsoft Defender'),
          text:
            blocked.id === 1123
              ? 'Keep Microsoft Defender on, but in Windows Security > Virus & threat protection > Ransomware protection choose "Allow an app through Controlled folder access" and add Upwork (on a managed computer, ask IT).'
              : 'Keep Microsoft Defender on, but in Windows Security > Protection history restore and allow the Upwork file, and add the Upwork app folder as an exclusion (on a managed computer, ask IT).',
        },
      };
    }
    const thirdParty = on.filter((p) => p.vendor !== 'Microsoft');
    const suspects = thirdParty.length > 0 ? thirdParty : on;
    if (suspects.length > 0 && (uploadProblems > 0 || blackShots > 0)) {
      const names = suspects.map((p) => p.name).join(', ');
      const symptom =
        uploadProblems > 0 && blackShots > 0
          ? 'uploads are failing and screenshots are black'
          : uploadProblems > 0
            ? "the tracker's uploads are failing"
            : 'recent screenshots are black';
      const excluded = sec.exclusions?.state === 'collected' && sec.exclusions.coversTracker;
      return {
        status: 'warn',
        code: 'UWD-AV-004',
        summary: `${names} is active and ${symptom}; security software is a common cause and may be blocking the tracker.`,
        details: excluded
          ? [...details, 'The tracker is already excluded in Defender; look at the other product first.']
          : details,
        evidence,
        remediation: exclusionFix(names),
      };
    }
    if (sec.products.length === 0 && sec.productsError) {
      return {
        status: 'skip',
        code: 'UWD-AV-005',
        summary: `Not checked: the installed security products could not be read (${sec.productsError}).`,
        details,
        evidence,
      };
    }
    if (sec.products.length === 0) {
      return {
        status: 'pass',
        code: 'UWD-AV-002',
        summary:
          'No known security product was found running, and nothing in the logs points at one blocking the tracker.',
        details,
        evidence,
      };
    }
    return {
      status: 'pass',
      code: 'UWD-AV-001',
      summary: `${sec.products.map((p) => p.name).join(', ')} ${sec.products.length === 1 ? 'is' : 'are'} installed, with no sign of ${sec.products.length === 1 ? 'it' : 'them'} blocking the tracker.`,
      details,
      evidence,
    };
  },
});
