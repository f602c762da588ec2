/**
 * tls-protocols: on Windows, adds TLS 1.2 and 1.3 to the user's Internet Settings `SecureProtocols`
 * (the old value is saved and `undo` puts it back); machine-wide SCHANNEL keys and Group Policy
 * need an administrator, so those print the exact command instead. Elsewhere, and when a proxy or
 * antivirus intercepts or downgrades TLS, it explains who does it and which hosts to exempt.
 * Why: without TLS 1.2 the tracker cannot upload and sits in caching mode.
 */
import { TLS12, TLS13 } from '../checks/tls-settings.js';
import { factValue } from '../core/facts.js';
import { defineFix } from './actions.js';
import type { Step } from './fix.js';
import { steps } from './fix.js';

export const INTERNET_SETTINGS = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';
const POLICY = 'SOFTWARE\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';
const SCHANNEL_TLS12 =
  'HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client';
const hex = (v: number) => `0x${v.toString(16).toUpperCase()}`;

export const tlsProtocols = defineFix({
  id: 'tls-protocols',
  title: 'Turn TLS 1.2 and 1.3 on for the tracker',
  fixes: ['tls-settings'],
  risk: 'confirm',
  platforms: ['win32', 'darwin', 'linux'],
  plan(facts) {
    const t = factValue(facts, 'tls');
    if (!t) return [];
    const list: Omit<Step, 'id' | 'fixId'>[] = [];
    const w = facts.platform === 'win32' ? t.windows : undefined;
    if (w) {
      const sp = w.secureProtocols;
      const s12 = w.schannel['TLS 1.2'];
      if (s12 && (s12.enabled === 0 || s12.disabledByDefault === 1)) {
        list.push({
          title: 'Turn TLS 1.2 back on for this computer (SCHANNEL)',
          action: {
            kind: 'manual',
            reason: 'needs-admin',
            lines: [
              'This is a machine-wide setting: in an administrator Command Prompt, run the two commands below, then restart the computer.',
            ],
            command: `reg add "${SCHANNEL_TLS12}" /v Enabled /t REG_DWORD /d 1 /f && reg add "${SCHANNEL_TLS12}" /v DisabledByDefault /t REG_DWORD /d 0 /f`,
          },
        });
      }
      for (const [scope, v] of [
        ['HKLM', sp.policyMachine],
        ['HKCU', sp.policyUser],
      ] as const) {
        if (v != null && (v & TLS12) === 0)
          list.push({
            title: `Remove the ${scope === 'HKLM' ? 'machine' : 'user'} policy that turns TLS 1.2 off (${hex(v)})`,
            action: {
              kind: 'manual',
              reason: 'needs-admin',
              lines: [
                'A Group Policy sets this value and wins over your own setting; ask your IT team to allow TLS 1.2, or as an administrator:',
              ],
              command: `reg add "${scope}\\${POLICY}" /v SecureProtocols /t REG_DWORD /d ${v | TLS12 | TLS13} /f`,
            },
          });
      }
      if (sp.user != null && (sp.user & TLS12) === 0) {
        list.push({
          title: `Add TLS 1.2 and 1.3 to your Internet Settings (SecureProtocols ${hex(sp.user)} → ${hex(sp.user | TLS12 | TLS13)})`,
          action: {
            kind: 'registry-set',
            key: INTERNET_SETTINGS,
            name: 'SecureProtocols',
            value: { type: 'REG_DWORD', data: sp.user | TLS12 | TLS13 },
          },
        });
      }
    }
    const i = t.interception;
    if (i?.detected) {
      list.push({
        title: `Exempt the tracker's hosts from ${i.product ?? 'the product'} that intercepts TLS`,
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: [
            `${i.product ?? 'Something in the network path'} re-signs the tracker's secure connection (certificate issuer "${i.issuer}").`,
            i.kind === 'antivirus'
              ? `In ${i.vendor ?? 'the antivirus'}, exclude ${i.exemptHosts.join(', ')} (or the Upwork app) from HTTPS / SSL scanning.`
              : `Ask your IT team to exempt ${i.exemptHosts.join(', ')} from TLS inspection on ${i.product ?? 'the proxy or gateway'}.`,
            'Do not turn the protection off: an exemption for these hosts is enough.',
          ],
        },
      });
    } else if (t.serverProtocol) {
      list.push({
        title: 'Ask IT to allow TLS 1.2+ to the service',
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: [
            `The connection to ${t.host} only offers ${t.serverProtocol}: an old proxy or security appliance in the path downgrades it. Ask IT to allow TLS 1.2 or newer to ${t.host}.`,
          ],
        },
      });
    }
    if (list.length > 0)
      list.push({
        title: 'Restart Upwork',
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: ['Quit Upwork and open it again so it picks up the change.'],
        },
      });
    return steps('tls-protocols', list);
  },
});
