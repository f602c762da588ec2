/**
 * Every installed copy of the Upwork desktop app and its version: Windows Uninstall keys (64-bit,
 * 32-bit and per-user hives, from the batched PowerShell call), macOS app bundles and their
 * Info.plist, Linux dpkg/rpm/snap/flatpak packages, AppImages and manual folders under /opt.
 * Why: per-user plus per-machine installs, leftover uninstall entries and a forgotten AppImage are
 * how two trackers end up running against one work diary, or an old one keeps running after an
 * update.
 * Verified (research/real-app-facts.md): the Windows per-machine and per-user install folders,
 * /Applications/Upwork.app, the Linux .deb `upwork` in /opt/Upwork (older /opt/upwork,
 * /usr/share/upwork) and the rpm's name. Not verified: the Uninstall entry's DisplayName and
 * Publisher (any DisplayName containing "Upwork" is taken), snap/flatpak packages (none official)
 * and AppImages (none official known): found anyway, since each can run a second tracker.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { NotCollectedError, defineCollector } from '../core/collector.js';
import type { CollectorInput } from '../core/collector.js';
import { installCandidates } from '../targets/paths.js';
import { POWERSHELL_SOURCE, windowsSnapshot } from './windows.js';
import type { UninstallEntry } from './windows.js';

export type InstallSource =
  'registry' | 'app-bundle' | 'dpkg' | 'rpm' | 'snap' | 'flatpak' | 'appimage' | 'folder';

export interface InstallRecord {
  source: InstallSource;
  name: string;
  version: string | null;
  /** Folder, bundle or file of this copy, when known. */
  location: string | null;
  /** machine-64, machine-32, user (Windows); system/user (flatpak). */
  scope: string | null;
  /** Where it was read: registry key, file, or command. */
  ref: string;
  /** An uninstall entry whose folder is gone: a leftover, not a working copy. */
  ghost: boolean;
  /** How to remove this copy, when known (UninstallString, package command). */
  uninstall: string | null;
}

export interface InstallsFacts {
  installs: InstallRecord[];
  /** What was searched (registry roots, folders, package managers that answered). */
  searched: string[];
}

declare module '../core/facts.js' {
  interface FactMap {
    installs: InstallsFacts;
  }
}

const UPWORK = /upwork/i;

// ---------- pure parsers (tested on recorded outputs) ----------

export function fromUninstall(entries: readonly UninstallEntry[]): InstallRecord[] {
  return entries
    .filter((e) => UPWORK.test(e.displayName))
    .map((e) => ({
      source: 'registry' as const,
      name: e.displayName,
      version: e.displayVersion,
      location: e.installLocation,
      scope: e.scope,
      ref: e.key,
      ghost: e.locationExists === false,
      uninstall: e.uninstallString,
    }));
}

function plistString(xml: string, key: string): string | null {
  const re = new RegExp(`<key>${key}</key>\\s*<string>([^<]*)</string>`);
  const m = re.exec(xml);
  return m ? m[1]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').trim() : null;
}

/** The identity keys of an XML Info.plist (binary ones are converted with plutil first). */
export function parseInfoPlist(xml: string): {
  bundleId: string | null;
  name: string | null;
  shortVersion: string | null;
  bundleVersion: string | null;
} {
  if (!xml.includes('<plist')) throw new Error('not an XML property list');
  return {
    bundleId: plistString(xml, 'CFBundleIdentifier'),
    name: plistString(xml, 'CFBundleName') ?? plistString(xml, 'CFBundleDisplayName'),
    shortVersion: plistString(xml, 'CFBundleShortVersionString'),
    bundleVersion: plistString(xml, 'CFBundleVersion'),
  };
}

/** `dpkg-query -W -f '${Package}\t${Version}\t${Status}\n' 'upwork*'`: installed rows only. */
export function parseDpkgQuery(stdout: string): { name: string; version: string }[] {
  return stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f.length >= 3 && / installed$/.test(f[2]!.trim()) && UPWORK.test(f[0]!))
    .map((f) => ({ name: f[0]!.trim(), version: f[1]!.trim() }));
}

/** `rpm -q --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n' upwork`. */
export function parseRpmQuery(stdout: string): { name: string; version: string; arch: string }[] {
  return stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f.length >= 3 && UPWORK.test(f[0]!))
    .map((f) => ({ name: f[0]!.trim(), version: f[1]!.trim(), arch: f[2]!.trim() }));
}

/** `snap list upwork`: a header, then whitespace-separated columns. */
export function parseSnapList(stdout: string): { name: string; version: string; rev: string }[] {
  const lines = stdout.split('\n').filter((l) => l.trim());
  if (!lines[0]?.startsWith('Name')) return [];
  return lines
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && UPWORK.test(f[0]!))
    .map((f) => ({ name: f[0]!, version: f[1]!, rev: f[2]! }));
}

/** `flatpak list --app --columns=application,version,installation`: tab-separated. */
export function parseFlatpakList(
  stdout: string,
): { app: string; version: string | null; installation: string }[] {
  return stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f.length >= 3 && UPWORK.test(f[0]!))
    .map((f) => ({ app: f[0]!.trim(), version: f[1]!.trim() || null, installation: f[2]!.trim() }));
}

/** mdfind output: top-level app bundles only (helpers live inside the main bundle). */
export function parseMdfind(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) => l.endsWith('.app') && !l.slice(0, -4).includes('.app/') && UPWORK.test(path.posix.basename(l)),
    );
}

// ---------- collection ----------

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function collectWindows(input: CollectorInput): Promise<InstallsFacts> {
  input.source('command', POWERSHELL_SOURCE);
  const snap = await windowsSnapshot(input);
  return {
    installs: fromUninstall(snap.uninstall),
    searched: [
      'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
      'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
      'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
    ],
  };
}

async function readPlist(
  input: CollectorInput,
  file: string,
): Promise<ReturnType<typeof parseInfoPlist> | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  if (text.startsWith('bplist')) {
    // Binary property list: let the system convert it rather than ship a parser.
    const r = await input.ctx.exec('plutil', ['-convert', 'xml1', '-o', '-', file], { timeoutMs: 5_000 });
    if (r.code !== 0) return null;
    text = r.stdout;
  }
  try {
    return parseInfoPlist(text);
  } catch {
    return null;
  }
}

async function collectMac(input: CollectorInput): Promise<InstallsFacts> {
  const { ctx, source } = input;
  const home = ctx.homedir;
  const roots = ['/Applications', path.posix.join(home, 'Applications'), path.posix.join(home, 'Downloads')];
  const bundles = new Set<string>();
  for (const root of roots) {
    const names = await readdir(root).catch(() => [] as string[]);
    for (const n of names) if (n.endsWith('.app') && UPWORK.test(n)) bundles.add(path.posix.join(root, n));
  }
  // Spotlight finds copies anywhere (other volumes, nested folders); empty when indexing is off.
  const query = 'kMDItemContentType == "com.apple.application-bundle" && kMDItemFSName == "Upwork*"c';
  const r = await ctx.exec('mdfind', [query], { timeoutMs: 5_000 });
  source('command', `mdfind '${query}'`);
  if (r.code === 0) for (const b of parseMdfind(r.stdout)) bundles.add(b);
  const installs: InstallRecord[] = [];
  for (const b of [...bundles].sort()) {
    const plistPath = path.posix.join(b, 'Contents', 'Info.plist');
    const info = await readPlist(input, plistPath);
    if (!info) continue;
    source('file', plistPath);
    installs.push({
      source: 'app-bundle',
      name: info.name ?? path.posix.basename(b, '.app'),
      version: info.shortVersion ?? info.bundleVersion,
      location: b,
      scope: b.startsWith(`${home}/`) ? 'user' : 'machine',
      ref: plistPath,
      ghost: false,
      uninstall: `move "${b}" to the Trash`,
    });
  }
  return { installs, searched: [...roots, 'Spotlight (mdfind)'] };
}

async function collectLinux(input: CollectorInput): Promise<InstallsFacts> {
  const { ctx, source } = input;
  const installs: InstallRecord[] = [];
  const searched: string[] = [];
  const run = async (file: string, args: string[]) => {
    const r = await ctx.exec(file, args, { timeoutMs: 8_000 });
    // code null without a timeout: the tool is not installed on this distribution.
    if (r.code === null && !r.timedOut) return undefined;
    searched.push(`${file} ${args.join(' ')}`);
    source('command', `${file} ${args.join(' ')}`);
    return r;
  };
  const dpkg = await run('dpkg-query', ['-W', '-f', '${Package}\\t${Version}\\t${Status}\\n', 'upwork*']);
  for (const p of parseDpkgQuery(dpkg?.stdout ?? ''))
    installs.push({
      source: 'dpkg',
      name: p.name,
      version: p.version,
      location: null,
      scope: 'machine',
      ref: 'dpkg-query -W upwork*',
      ghost: false,
      uninstall: `sudo apt remove ${p.name}`,
    });
  const rpm = await run('rpm', ['-q', '--qf', '%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n', 'upwork']);
  if (rpm?.code === 0)
    for (const p of parseRpmQuery(rpm.stdout))
      installs.push({
        source: 'rpm',
        name: p.name,
        version: p.version,
        location: null,
        scope: 'machine',
        ref: 'rpm -q upwork',
        ghost: false,
        uninstall: `sudo rpm -e ${p.name}`,
      });
  const snap = await run('snap', ['list', 'upwork']);
  if (snap?.code === 0)
    for (const p of parseSnapList(snap.stdout))
      installs.push({
        source: 'snap',
        name: p.name,
        version: p.version,
        location: `/snap/${p.name}/${p.rev}`,
        scope: 'machine',
        ref: 'snap list upwork',
        ghost: false,
        uninstall: `sudo snap remove ${p.name}`,
      });
  const flatpak = await run('flatpak', ['list', '--app', '--columns=application,version,installation']);
  if (flatpak?.code === 0)
    for (const p of parseFlatpakList(flatpak.stdout))
      installs.push({
        source: 'flatpak',
        name: p.app,
        version: p.version,
        location: null,
        scope: p.installation,
        ref: 'flatpak list --app',
        ghost: false,
        uninstall: `flatpak uninstall ${p.installation === 'user' ? '--user ' : ''}${p.app}`,
      });
  const home = ctx.homedir;
  const appImageDirs = ['Applications', 'Downloads', '.local/bin', 'bin'].map((d) =>
    path.posix.join(home, d),
  );
  appImageDirs.push('/opt');
  for (const dir of appImageDirs) {
    searched.push(dir);
    for (const n of await readdir(dir).catch(() => [] as string[])) {
      if (!/\.appimage$/i.test(n) || !UPWORK.test(n)) continue;
      const file = path.posix.join(dir, n);
      source('file', file);
      installs.push({
        source: 'appimage',
        name: n,
        version: /(\d+(?:\.\d+){1,3})/.exec(n)?.[1] ?? null,
        location: file,
        scope: dir.startsWith(home) ? 'user' : 'machine',
        ref: file,
        ghost: false,
        uninstall: `rm "${file}"`,
      });
    }
  }
  // A folder under /opt is a manual (tarball) install only when no package owns it: the .deb and
  // .rpm install into /opt/Upwork themselves.
  if (!installs.some((i) => i.source === 'dpkg' || i.source === 'rpm')) {
    for (const dir of installCandidates(ctx)) {
      searched.push(dir);
      if (!(await exists(dir))) continue;
      source('file', dir);
      installs.push({
        source: 'folder',
        name: path.posix.basename(dir),
        version: null,
        location: dir,
        scope: 'machine',
        ref: dir,
        ghost: false,
        uninstall: null,
      });
    }
  }
  return { installs, searched };
}

export const installsCollector = defineCollector({
  key: 'installs',
  scope: 'tracker',
  title: 'installed copies of the Upwork app',
  timeoutMs: 45_000,
  async collect(input) {
    if (input.ctx.platform === 'win32') return collectWindows(input);
    if (input.ctx.platform === 'darwin') return collectMac(input);
    if (input.ctx.platform === 'linux') return collectLinux(input);
    throw new NotCollectedError('not-applicable', `installs are not looked up on ${input.ctx.platform}`);
  },
});
