/**
 * Where things live, per OS (DESIGN.md: Data folders). Pure functions of platform, env and home,
 * so they are tested for every OS on any machine.
 */
import path from 'node:path';

export interface PathInput {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  homedir: string;
}

function pathFor(platform: NodeJS.Platform) {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** The real tracker's data folder: Windows %LOCALAPPDATA%\Upwork, macOS ~/Library/Application Support/Upwork, Linux ~/.Upwork. */
export function trackerDataDir({ platform, env, homedir }: PathInput): string {
  const p = pathFor(platform);
  if (platform === 'win32') return p.join(env.LOCALAPPDATA ?? p.join(homedir, 'AppData', 'Local'), 'Upwork');
  if (platform === 'darwin') return p.join(homedir, 'Library', 'Application Support', 'Upwork');
  return p.join(homedir, '.Upwork');
}

/** The logs folder inside a data folder: <data>/Upwork/Logs. */
export function logsDir(dataDir: string, platform: NodeJS.Platform): string {
  return pathFor(platform).join(dataDir, 'Upwork', 'Logs');
}

/** Folders where the desktop app may be installed. */
export function installCandidates({ platform, env, homedir }: PathInput): string[] {
  const p = pathFor(platform);
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA ?? p.join(homedir, 'AppData', 'Local');
    return [
      p.join(env.ProgramFiles ?? 'C:\\Program Files', 'Upwork'),
      p.join(env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)', 'Upwork'),
      p.join(local, 'Programs', 'Upwork'),
    ];
  }
  if (platform === 'darwin')
    return ['/Applications/Upwork.app', p.join(homedir, 'Applications', 'Upwork.app')];
  return ['/opt/Upwork', '/opt/upwork', '/usr/share/upwork', '/usr/lib/upwork'];
}

/**
 * The doctor's own folder (never inside the tracker's). UPWORK_DOCTOR_HOME overrides it, which is
 * how tests and CI keep every run hermetic.
 */
export function doctorHome({ platform, env, homedir }: PathInput): string {
  const p = pathFor(platform);
  if (env.UPWORK_DOCTOR_HOME) return env.UPWORK_DOCTOR_HOME;
  if (platform === 'win32')
    return p.join(env.LOCALAPPDATA ?? p.join(homedir, 'AppData', 'Local'), 'upwork-doctor');
  if (platform === 'darwin') return p.join(homedir, 'Library', 'Application Support', 'upwork-doctor');
  return p.join(env.XDG_DATA_HOME || p.join(homedir, '.local', 'share'), 'upwork-doctor');
}

/** The embedded reference engine's data folder. */
export function embeddedDataDir(input: PathInput): string {
  return pathFor(input.platform).join(doctorHome(input), 'reference');
}

/** The doctor's state: undo journal, backups, last healthy run. */
export function stateDir(input: PathInput): string {
  return pathFor(input.platform).join(doctorHome(input), 'state');
}
