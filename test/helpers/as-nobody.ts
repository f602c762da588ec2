/**
 * Running the built CLI as an unprivileged user. As root, permissions never stop a read or a write,
 * so tests of "a folder you cannot write to / list" run the CLI as `nobody` (uid 65534). `nobody`
 * must then be able to read the CLI itself, which it cannot when the checkout sits in a 0700 folder
 * (a `mktemp -d` clone, a home folder): the CLI's runtime files (bin, dist, package.json, the
 * scenario fixtures, node_modules) are put in a world-readable temporary folder first. node_modules
 * is hard-linked where it can be (same file system, fast), copied otherwise; a file that `nobody`
 * could not read through a link is copied.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { BIN, ROOT } from './cli.js';

export const isRoot = process.getuid?.() === 0;
export const NOBODY = 65534;

/** Folders world-traversable, files world-readable; a hard link that is not is replaced by a copy. */
function openUp(dir: string): void {
  chmodSync(dir, 0o755);
  for (const n of readdirSync(dir)) {
    const p = path.join(dir, n);
    const st = lstatSync(p);
    if (st.isDirectory()) openUp(p);
    else if (st.isFile() && (st.mode & 0o004) === 0) {
      // A hard link shares the checkout's inode: never chmod it, replace it by a copy.
      const tmp = `${p}.uwd-copy`;
      copyFileSync(p, tmp);
      chmodSync(tmp, (st.mode & 0o777) | 0o444);
      renameSync(tmp, p);
    }
  }
}

function copyCli(dest: string): void {
  for (const part of ['bin', 'dist', 'package.json', path.join('fixtures', 'scenarios')]) {
    mkdirSync(path.dirname(path.join(dest, part)), { recursive: true });
    cpSync(path.join(ROOT, part), path.join(dest, part), { recursive: true });
  }
  const linked = spawnSync('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(dest, 'node_modules')]);
  if (linked.status !== 0)
    cpSync(path.join(ROOT, 'node_modules'), path.join(dest, 'node_modules'), { recursive: true });
  openUp(dest);
}

export interface CliAs {
  /** The folder to run in (cwd) and the bin to run, both readable by the user the CLI runs as. */
  readonly root: string;
  readonly bin: string;
  /** Spawn options that run as `nobody` when the tests run as root. */
  readonly user: { uid: number; gid: number } | Record<string, never>;
}

/**
 * Call at describe level: as root, a world-readable copy of the built CLI for the file's tests
 * (removed after them); otherwise the checkout itself.
 */
export function useCliAsNobody(): CliAs {
  let root = ROOT;
  beforeAll(() => {
    if (!isRoot) return;
    root = mkdtempSync(path.join(os.tmpdir(), 'uwd-cli-'));
    copyCli(root);
  }, 120_000);
  afterAll(() => {
    if (root !== ROOT) rmSync(root, { recursive: true, force: true });
  });
  return {
    get root() {
      return root;
    },
    get bin() {
      return root === ROOT ? BIN : path.join(root, 'bin', 'upwork-doctor.js');
    },
    user: isRoot ? { uid: NOBODY, gid: NOBODY } : {},
  };
}

export interface AsResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI copy as `nobody` (when root), in a bounded time, with only the given environment. */
export function runCliAs(
  cli: CliAs,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<AsResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli.bin, ...args], {
      cwd: cli.root,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', TZ: 'UTC', LANG: 'C', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...cli.user,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
