/**
 * The Fix contract (DESIGN.md: Contracts). A fix is `{ id, fixes, risk, platforms, plan, apply, undo }`.
 *
 * `plan(facts)` is pure and returns Steps that are plain data (commands, registry values, file modes,
 * processes, settings panes), so `fix --dry-run` prints exactly what `apply` would do and the undo
 * journal can store them. `capture` reads the prior state right before a change, so the journal
 * holds what was really there, not what the facts said a minute earlier.
 */
import type { Platform } from '../core/check.js';
import type { RunOptions } from '../core/collector.js';
import type { Context } from '../core/context.js';
import type { Facts, TargetInfo } from '../core/facts.js';
import type { Registry, RegValue } from './registry.js';

export type FixRisk = 'safe' | 'confirm' | 'manual';

/** An exact command, as an argument array (never a shell string). */
export interface CommandSpec {
  file: string;
  args: string[];
}

/** Where a manual step sends the user: a settings pane or a page, opened with ctx.open on consent. */
export interface OpenSpec {
  target: string;
  label: string;
}

export type StepAction =
  /** Run a command. `done` probes whether it is already in effect (idempotence); `undo` reverses it. */
  | {
      kind: 'exec';
      command: CommandSpec;
      done?: { command: CommandSpec; stdoutMatches: string };
      undo?: CommandSpec;
      timeoutMs?: number;
    }
  /** Set one registry value (Windows), through the Registry seam. */
  | { kind: 'registry-set'; key: string; name: string; value: RegValue }
  /** Add permission bits to a file or folder (POSIX); never removes any. */
  | { kind: 'file-mode'; path: string; addBits: number }
  /** Stop a running process, identified by pid and the executable it must still be running. */
  | { kind: 'stop-process'; pid: number; name: string; exe?: string; relaunch?: CommandSpec }
  /** An operation of the target's own public API (the embedded engine's "upload now", Helper restart). */
  | { kind: 'engine'; op: string; args: Record<string, unknown> }
  /**
   * Nothing is changed by the doctor: the step tells the user what to do (the exact command or
   * settings pane), because it needs rights the user lacks or must never be done silently.
   */
  | {
      kind: 'manual';
      reason: 'needs-admin' | 'needs-full-disk-access' | 'guidance';
      lines: string[];
      command?: string;
      open?: OpenSpec;
    };

export interface Step {
  /** `<fixId>#<n>`, stable for the same facts. */
  id: string;
  fixId: string;
  /** One line: what the step does. */
  title: string;
  action: StepAction;
}

/** What a step changes, as the equivalent command a person could type (for the plan and the journal). */
export type Backup =
  | { kind: 'registry'; key: string; name: string; prior: RegValue | null }
  | { kind: 'file-mode'; path: string; mode: number }
  | { kind: 'exec'; undo: CommandSpec | null }
  | { kind: 'stop-process'; pid: number; name: string; relaunch: CommandSpec | null }
  | { kind: 'engine'; op: string; state: Record<string, unknown> }
  | { kind: 'none' };

/** Everything a fix may touch while applying or undoing, all through seams tests replace. */
export interface FixEnv {
  ctx: Context;
  registry: Registry;
  target: TargetInfo;
  options: RunOptions;
  /** The target's public operations (the embedded engine), when it has them. */
  engine?: EngineOps;
}

/** Public operations of a target the doctor may call as fixes (DESIGN.md: only through the engine's own API). */
export interface EngineOps {
  /** The prior state `run` would change, read right before it (saved to the undo journal first). */
  capture?(op: string, args: Record<string, unknown>, env: FixEnv): Promise<Record<string, unknown>>;
  run(op: string, args: Record<string, unknown>, env: FixEnv): Promise<EngineOpResult>;
  undo?(op: string, state: Record<string, unknown>, env: FixEnv): Promise<void>;
}

export interface EngineOpResult {
  changed: boolean;
  /** What undo needs (e.g. the Helper's previous arguments); JSON. */
  state: Record<string, unknown>;
  message?: string;
}

export interface ApplyResult {
  changed: boolean;
  message?: string;
  /** For engine steps: the prior state the engine reported, stored in the journal for undo. */
  engineState?: Record<string, unknown>;
}

export interface Fix {
  id: string;
  title: string;
  /** The check ids this fix repairs; they are re-run after it is applied. */
  fixes: readonly string[];
  risk: FixRisk;
  platforms: readonly Platform[];
  /** Pure: the steps for these facts ([] when there is nothing this fix can do). */
  plan(facts: Facts): Step[];
  /** The prior state of what `step` will change, saved to the undo journal before the change. */
  capture(step: Step, env: FixEnv): Promise<Backup>;
  /** Make the change. Idempotent: when it is already in effect, return `{ changed: false }`. */
  apply(step: Step, env: FixEnv): Promise<ApplyResult>;
  /** Restore a captured prior state exactly. Idempotent. */
  undo(backup: Backup, env: FixEnv): Promise<void>;
}

export type FixDefinition = Omit<Fix, 'capture' | 'apply' | 'undo'> &
  Partial<Pick<Fix, 'capture' | 'apply' | 'undo'>>;

/** Steps that change nothing (manual guidance) need no consent, backup or re-check. */
export function isChange(step: Step): boolean {
  return step.action.kind !== 'manual';
}

/** Numbered step ids for a fix: `<fixId>#1`, `<fixId>#2`, … */
export function steps(fixId: string, list: Omit<Step, 'id' | 'fixId'>[]): Step[] {
  return list.map((s, i) => ({ ...s, id: `${fixId}#${i + 1}`, fixId }));
}

/** POSIX shell quoting, only for showing commands to people; commands themselves run as arrays. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** cmd.exe / PowerShell quoting, for showing Windows commands. */
export function winQuote(arg: string): string {
  return /^[^\s"&|<>^%]+$/.test(arg) ? arg : `"${arg.replace(/"/g, '\\"')}"`;
}

export function showCommand(c: CommandSpec, platform: NodeJS.Platform = 'linux'): string {
  return [c.file, ...c.args].map(platform === 'win32' ? winQuote : shellQuote).join(' ');
}
