/** Spawn the built CLI (dist/) as a user would, hermetically: its own HOME and UPWORK_DOCTOR_HOME. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'upwork-doctor.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A temporary folder removed when the test ends. */
export function tempDir(prefix = 'uwd-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A UTF-8 locale, for tests that assert the Unicode marks (✓ ✗ →): runCli's default LANG=C gets
 * the ASCII ones ([ok] [FAIL] ->), as a terminal without UTF-8 would.
 */
export const UTF8 = { LANG: 'C.UTF-8' } as const;

export interface RunCliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  input?: string;
  /** A home for this run (default: a fresh temp dir). */
  home?: string;
}

export function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  const home = opts.home ?? tempDir('uwd-home-');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        UPWORK_DOCTOR_HOME: path.join(home, 'doctor'),
        NO_COLOR: '1',
        TZ: 'UTC',
        LANG: 'C',
        // Upwork "cannot be reached" on every test machine, networked or not: .invalid names never
        // resolve (RFC 6761), the control name neither, so the connection reads as offline. Tests of
        // the real hosts unset these (env: { UPWORK_DOCTOR_UPWORK_URLS: undefined }).
        UPWORK_DOCTOR_UPWORK_URLS:
          'https://www.upwork.invalid/,https://upwork-usw2-desktopapp.upwork.invalid/',
        UPWORK_DOCTOR_CONTROL_HOST: 'control.invalid',
        ...opts.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
