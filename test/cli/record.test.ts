import { describe, expect, it } from 'vitest';
import { redactFacts } from '../../src/cli/record.js';
import { makeFacts } from '../helpers/facts.js';

const posix = { homedir: '/home/annkowalska', username: 'annkowalska', hostname: 'ann-xps13.lan', env: {} };
const win = {
  homedir: 'C:\\Users\\AnnK',
  username: 'AnnK',
  hostname: 'DESKTOP-7QK2LMB',
  env: { COMPUTERNAME: 'DESKTOP-7QK2LMB', USERPROFILE: 'C:\\Users\\AnnK' },
};

function redactValue(value: unknown, who: typeof posix | typeof win): unknown {
  const facts = makeFacts({ installs: { installs: [], searched: [] } });
  (facts.items as Record<string, unknown>).probe = { state: 'collected', value, sources: [], durationMs: 0 };
  return (redactFacts(facts, who).items as Record<string, { value: unknown } | undefined>).probe!.value;
}

describe('--record redaction', () => {
  it.each([
    ['/home/annkowalska/.Upwork/Upwork/Logs/main.log', '<HOME>/.Upwork/Upwork/Logs/main.log'],
    ['cannot read /home/bob/.Upwork: EACCES', 'cannot read /home/<USER>/.Upwork: EACCES'],
    ['/Users/Shared/Upwork.app', '/Users/Shared/Upwork.app'],
    ['logged in as annkowalska on ann-xps13.lan', 'logged in as <USER> on <HOST>'],
    ['ann-xps13 says hi', '<HOST> says hi'],
    ['annkowalska-backup stays (not a whole word)', 'annkowalska-backup stays (not a whole word)'],
    ['Upwork Helper', 'Upwork Helper'],
  ])('POSIX: %s → %s', (input, out) => {
    expect(redactValue(input, posix)).toBe(out);
  });

  it.each([
    ['C:\\Users\\AnnK\\AppData\\Local\\Programs\\Upwork', '<HOME>\\AppData\\Local\\Programs\\Upwork'],
    ['c:\\users\\annk\\AppData\\Local\\Upwork', '<HOME>\\AppData\\Local\\Upwork'],
    ['C:/Users/AnnK/AppData', '<HOME>/AppData'],
    [
      '"C:\\Users\\freelancer\\AppData\\Local\\Programs\\Upwork\\Uninstall Upwork.exe" /currentuser',
      '"C:\\Users\\<USER>\\AppData\\Local\\Programs\\Upwork\\Uninstall Upwork.exe" /currentuser',
    ],
    ['C:\\Users\\Public\\Desktop', 'C:\\Users\\Public\\Desktop'],
    ['HKEY_USERS\\S-1-5-21-3623811015-3361044348-30300820-1013\\Software', 'HKEY_USERS\\<SID>\\Software'],
    ['\\\\DESKTOP-7QK2LMB\\share', '\\\\<HOST>\\share'],
    ['desktop-7qk2lmb', '<HOST>'],
  ])('Windows: %s → %s', (input, out) => {
    expect(redactValue(input, win)).toBe(out);
  });

  it('walks nested values, keeps keys and numbers, and redacts the host header', () => {
    const facts = makeFacts(
      {
        processes: {
          windowSec: 3,
          cores: 4,
          method: 'x',
          tracker: [
            {
              pid: 1,
              ppid: null,
              name: 'Upwork',
              role: 'app',
              path: '/home/annkowalska/Applications/Upwork.AppImage',
              command: null,
              version: null,
              cpuPercent: 2,
            },
          ],
        },
      },
      {
        host: { hostname: 'ann-xps13.lan', os: 'linux', arch: 'x64', node: 'v20' },
        target: { kind: 'installed', dataDir: '/home/annkowalska/.Upwork', found: true, reason: 'detected' },
      },
    );
    const r = redactFacts(facts, posix);
    expect(r.host.hostname).toBe('<HOST>');
    expect(r.target.dataDir).toBe('<HOME>/.Upwork');
    const p = (r.items.processes as { value: { tracker: { path: string; pid: number }[] } }).value
      .tracker[0]!;
    expect(p).toMatchObject({ path: '<HOME>/Applications/Upwork.AppImage', pid: 1 });
    expect(JSON.stringify(r)).not.toMatch(/annkowalska|xps13/);
  });
});
