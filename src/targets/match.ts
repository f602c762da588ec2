/**
 * Whether a recorded target (a fix run's, in the undo journal) is the one the target options name.
 * `undo` takes the same options as `fix`, so a command printed with `--scenario X` or `--data-dir D`
 * works there too: they pick the last run on that tracker, and refuse a run on another one. Pure:
 * nothing is resolved or built (a scenario name never builds a new folder here).
 */
import path from 'node:path';
import type { TargetInfo } from '../core/facts.js';
import type { TargetRequest } from './resolve.js';

/** True when the request names a target at all (`--target auto` alone does not). */
export function namesTarget(req: TargetRequest): boolean {
  return Boolean(req.scenario || req.dataDir || req.appDir || (req.target && req.target !== 'auto'));
}

export function targetMatches(
  req: TargetRequest,
  t: Pick<TargetInfo, 'kind' | 'dataDir' | 'scenario' | 'installDirs'>,
): boolean {
  if (req.scenario && (t.kind !== 'scenario' || t.scenario !== req.scenario)) return false;
  if (req.dataDir && path.resolve(req.dataDir) !== t.dataDir) return false;
  if (req.appDir && !(t.installDirs ?? []).includes(path.resolve(req.appDir))) return false;
  if (req.target === 'installed' && t.kind !== 'installed') return false;
  if (req.target === 'embedded' && t.kind !== 'embedded') return false;
  return true;
}

/** The target options as a user would type them, for messages. */
export function describeRequest(req: TargetRequest): string {
  const parts: string[] = [];
  if (req.scenario) parts.push(`--scenario ${req.scenario}`);
  if (req.dataDir) parts.push(`--data-dir ${path.resolve(req.dataDir)}`);
  if (req.appDir) parts.push(`--app-dir ${path.resolve(req.appDir)}`);
  if (req.target && req.target !== 'auto') parts.push(`--target ${req.target}`);
  return parts.join(' ');
}
