/**
 * The one seam for everything non-deterministic (DESIGN.md: Context). Production code reads the
 * clock, the platform, the environment and the outside world only through a Context; tests pass a
 * fake built with `createTestContext`.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { ERROR_PREFIX, WARNING_PREFIX } from './errors.js';
import { asciiText } from './format.js';
import { createPrompts, type Prompts } from './prompts.js';

export type { Prompts } from './prompts.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the command was killed for exceeding its timeout. */
  timedOut: boolean;
}

export interface ExecOptions {
  timeoutMs: number;
  cwd?: string;
  env?: Record<string, string | undefined>;
  maxBuffer?: number;
  input?: string;
}

export type Exec = (file: string, args: readonly string[], opts: ExecOptions) => Promise<ExecResult>;

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
const LEVELS: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export interface Logger {
  level: LogLevel;
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  /** Progress lines (stderr, info level). */
  progress(msg: string): void;
}

export interface Context {
  /** Wall clock, epoch ms. */
  now(): number;
  /** Monotonic clock, ms, for durations and deadlines. */
  monotonic(): number;
  random(): number;
  platform: NodeJS.Platform;
  arch: string;
  env: Record<string, string | undefined>;
  homedir: string;
  hostname: string;
  username: string;
  /** Effective uid (POSIX), or -1. */
  uid: number;
  isTTY: boolean;
  isCI: boolean;
  exec: Exec;
  logger: Logger;
  prompts: Prompts;
  /** Open a URL, file or settings pane with the OS handler. */
  open(target: string): Promise<void>;
  /** Write to stdout (the report) / stderr (everything else). */
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether colour is on for stderr/stdout text output. */
  color: boolean;
  /**
   * Whether the terminal shows Unicode (✓ ✗ → …): the one place this is decided
   * (`terminalUnicode`). When false, text for people is written in ASCII (`asciiText`).
   */
  unicode: boolean;
}

/** Pinned locale so parsed command output does not depend on the user's language (DESIGN.md rule 6). */
export const PINNED_LOCALE = { LC_ALL: 'C', LANG: 'C', LANGUAGE: 'C' } as const;

export const realExec: Exec = (file, args, opts) =>
  new Promise((resolve) => {
    const child = execFile(
      file,
      [...args],
      {
        timeout: opts.timeoutMs,
        cwd: opts.cwd,
        env: { ...process.env, ...PINNED_LOCALE, ...opts.env } as NodeJS.ProcessEnv,
        maxBuffer: opts.maxBuffer ?? 16 * 1024 * 1024,
        windowsHide: true,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const e = err as
          (NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: NodeJS.Signals }) | null;
        if (e && typeof e.code === 'string') {
          // spawn failure (ENOENT, EACCES): no process ran.
          resolve({ stdout: '', stderr: e.message, code: null, signal: null, timedOut: false });
          return;
        }
        resolve({
          stdout: String(stdout),
          stderr: String(stderr),
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          timedOut: Boolean(e?.killed && e.signal),
        });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });

export function createLogger(level: LogLevel, write: (s: string) => void): Logger {
  const at = (l: LogLevel) => LEVELS[level] >= LEVELS[l];
  return {
    level,
    error: (m) => at('error') && write(`${ERROR_PREFIX}${m}\n`),
    warn: (m) => at('warn') && write(`${WARNING_PREFIX}${m}\n`),
    info: (m) => at('info') && write(`${m}\n`),
    debug: (m) => at('debug') && write(`debug: ${m}\n`),
    progress: (m) => at('info') && write(`${m}\n`),
  } as Logger;
}

/**
 * Whether this terminal can show Unicode marks. No: TERM=dumb; on Windows, the legacy console
 * (Windows Terminal sets WT_SESSION); elsewhere a locale without UTF-8 (the first of LC_ALL,
 * LC_CTYPE, LANG that is set decides, as in C; none set is the "C" locale).
 */
export function terminalUnicode(platform: NodeJS.Platform, env: Record<string, string | undefined>): boolean {
  if (env.TERM === 'dumb') return false;
  if (platform === 'win32') return Boolean(env.WT_SESSION);
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(locale);
}

/** A writer for people's text on stderr: ASCII where the terminal cannot show Unicode. */
export function humanWriter(write: (s: string) => void, unicode: boolean): (s: string) => void {
  return unicode ? write : (s) => write(asciiText(s));
}

/** The process's stderr for people, for the entry point that prints errors before any Context. */
export function processStderr(): (s: string) => void {
  return humanWriter((s) => void process.stderr.write(s), terminalUnicode(process.platform, process.env));
}

export interface ContextOptions {
  logLevel?: LogLevel;
  color?: boolean;
}

/** Whether colour output is wanted: --no-color, NO_COLOR and FORCE_COLOR, then the TTY. */
export function wantColor(env: Record<string, string | undefined>, isTTY: boolean, flag?: boolean): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

export function createContext(options: ContextOptions = {}): Context {
  const env = { ...process.env };
  const isTTY = Boolean(process.stdout.isTTY && process.stdin.isTTY);
  const isCI = Boolean(env.CI && env.CI !== 'false' && env.CI !== '0');
  let username = 'unknown';
  try {
    username = os.userInfo().username;
  } catch {
    username = env.USER ?? env.USERNAME ?? 'unknown';
  }
  const unicode = terminalUnicode(process.platform, env);
  // stderr holds only words for people (progress, consent screens, errors), so it is folded here.
  const stderr = humanWriter((s: string) => void process.stderr.write(s), unicode);
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    random: () => Math.random(),
    platform: process.platform,
    arch: process.arch,
    env,
    homedir: os.homedir(),
    hostname: os.hostname(),
    username,
    uid: typeof process.getuid === 'function' ? process.getuid() : -1,
    isTTY,
    isCI,
    exec: realExec,
    logger: createLogger(options.logLevel ?? 'info', stderr),
    prompts: createPrompts(isTTY && !isCI),
    open: async (target) => {
      const { default: open } = await import('open');
      await open(target, { wait: false });
    },
    stdout: (s) => void process.stdout.write(s),
    stderr,
    color: options.color ?? wantColor(env, Boolean(process.stdout.isTTY)),
    unicode,
  };
}

/**
 * A context for tests: deterministic clock and random source, no real exec unless given, output
 * captured. Unknown override keys are a type error.
 */
export function createTestContext(
  overrides: Partial<Context> = {},
): Context & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const t = Date.UTC(2026, 10, 18, 10, 0, 0);
  let seed = 42;
  const base: Context = {
    now: () => t,
    monotonic: () => performance.now(),
    random: () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    },
    platform: 'linux',
    arch: 'x64',
    env: {},
    homedir: '/home/tester',
    hostname: 'test-host',
    username: 'tester',
    uid: 1000,
    isTTY: false,
    isCI: true,
    exec: async () => ({ stdout: '', stderr: 'no exec in tests', code: null, signal: null, timedOut: false }),
    logger: createLogger('debug', (s) => void err.push(s)),
    prompts: createPrompts(false),
    open: async () => undefined,
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    color: false,
    unicode: true,
  };
  return Object.assign(base, overrides, { out, err });
}
