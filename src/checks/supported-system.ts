/**
 * supported-system: whether this computer runs a system Upwork supports for the desktop app:
 * Windows 10 or 11 (64-bit), macOS 13 or newer, Ubuntu 22.04 (64-bit); other Linux distributions
 * are "not officially supported"; 32-bit Linux no longer works (Upwork's help page, summarised in
 * research/real-app-facts.md; verified from that page, not tested on each system).
 * Why: on an unsupported system the app may not start, may not update (updates are forced), or
 * may misbehave in ways support will not look into; knowing it first saves a ticket.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import { factValue } from '../core/facts.js';
import type { SystemFacts } from '../facts/system.js';
import type { CheckOutcome } from '../core/finding.js';

const DOCS = 'docs/checks/supported-system.md';
export const SUPPORTED = 'Windows 10/11 64-bit, macOS 13 or newer, Ubuntu 22.04 64-bit';

function unsupported(s: SystemFacts, code: string, why: string): CheckOutcome {
  return {
    status: 'fail',
    code,
    summary: `${s.name} (${s.machine}) ${why}, so the Upwork app may not install, start or update here.`,
    details: [`Upwork supports: ${SUPPORTED}.`],
    evidence: { system: s, supported: SUPPORTED },
    remediation: {
      text: `Use the app on a supported system (${SUPPORTED}).`,
      docsUrl: DOCS,
    },
  };
}

function judge(platform: string, s: SystemFacts): CheckOutcome {
  const major = Number((s.version ?? '').split('.')[0]);
  if (platform === 'win32') {
    if (!s.is64Bit) return unsupported(s, 'UWD-SYS-004', 'is 32-bit; Upwork supports only 64-bit Windows');
    if (!(major === 10 || major === 11)) return unsupported(s, 'UWD-SYS-003', 'is not Windows 10 or 11');
  } else if (platform === 'darwin') {
    if (!(major >= 13)) return unsupported(s, 'UWD-SYS-003', 'is older than macOS 13');
  } else {
    if (!s.is64Bit)
      return unsupported(s, 'UWD-SYS-004', 'is 32-bit; the Linux app no longer works on 32-bit systems');
    if (s.id !== 'ubuntu' || s.version !== '22.04')
      return {
        status: 'warn',
        code: 'UWD-SYS-002',
        summary: `${s.name} is not officially supported by Upwork (only Ubuntu 22.04 64-bit is): the app may work, but support may not help with problems here.`,
        details: [`Upwork supports: ${SUPPORTED}.`],
        evidence: { system: s, supported: SUPPORTED },
        remediation: {
          text: 'If the app misbehaves, try it on Ubuntu 22.04 64-bit before opening a ticket.',
          docsUrl: DOCS,
        },
      };
  }
  return {
    status: 'pass',
    code: 'UWD-SYS-001',
    summary: `${s.name} (${s.machine}) is a system Upwork supports.`,
    evidence: { system: s, supported: SUPPORTED },
  };
}

export const supportedSystem = defineCheck({
  id: 'supported-system',
  title: 'Supported system',
  category: 'system',
  platforms: ['win32', 'darwin', 'linux'],
  needs: ['system'],
  docs: DOCS,
  codePrefix: 'UWD-SYS',
  run(facts) {
    const missing = missingFacts(this, facts);
    if (missing) return missing;
    return judge(facts.platform, factValue(facts, 'system')!);
  },
});
