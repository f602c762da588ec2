import { describe, expect, it } from 'vitest';
import {
  doctorHome,
  embeddedDataDir,
  installCandidates,
  logsDir,
  stateDir,
  trackerDataDir,
} from '../../src/targets/paths.js';

const win = {
  platform: 'win32' as const,
  env: { LOCALAPPDATA: 'C:\\Users\\dana\\AppData\\Local', ProgramFiles: 'C:\\Program Files' },
  homedir: 'C:\\Users\\dana',
};
const mac = { platform: 'darwin' as const, env: {}, homedir: '/Users/dana' };
const lin = { platform: 'linux' as const, env: {}, homedir: '/home/dana' };

describe('paths per OS (DESIGN.md: Data folders)', () => {
  it('tracker data folders', () => {
    expect(trackerDataDir(win)).toBe('C:\\Users\\dana\\AppData\\Local\\Upwork');
    expect(trackerDataDir(mac)).toBe('/Users/dana/Library/Application Support/Upwork');
    expect(trackerDataDir(lin)).toBe('/home/dana/.Upwork');
  });
  it('logs live in <data>/Upwork/Logs', () => {
    expect(logsDir('C:\\Users\\dana\\AppData\\Local\\Upwork', 'win32')).toBe(
      'C:\\Users\\dana\\AppData\\Local\\Upwork\\Upwork\\Logs',
    );
    expect(logsDir('/home/dana/.Upwork', 'linux')).toBe('/home/dana/.Upwork/Upwork/Logs');
  });
  it('install candidates', () => {
    expect(installCandidates(win)).toContain('C:\\Program Files\\Upwork');
    expect(installCandidates(win)).toContain('C:\\Users\\dana\\AppData\\Local\\Programs\\Upwork');
    expect(installCandidates(mac)).toEqual([
      '/Applications/Upwork.app',
      '/Users/dana/Applications/Upwork.app',
    ]);
    expect(installCandidates(lin)).toContain('/opt/Upwork');
  });
  it("the doctor's own folder is never inside the tracker's", () => {
    for (const p of [win, mac, lin]) {
      expect(doctorHome(p).startsWith(trackerDataDir(p))).toBe(false);
      expect(embeddedDataDir(p).startsWith(doctorHome(p))).toBe(true);
      expect(stateDir(p).startsWith(doctorHome(p))).toBe(true);
    }
    expect(doctorHome(lin)).toBe('/home/dana/.local/share/upwork-doctor');
    expect(doctorHome({ ...lin, env: { XDG_DATA_HOME: '/data' } })).toBe('/data/upwork-doctor');
    expect(doctorHome({ ...lin, env: { UPWORK_DOCTOR_HOME: '/x/y' } })).toBe('/x/y');
    expect(doctorHome(win)).toBe('C:\\Users\\dana\\AppData\\Local\\upwork-doctor');
  });
});
