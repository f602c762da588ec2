/**
 * Choosing the target: the installed app when found (or asked for), else the embedded engine.
 * `--data-dir` overrides detection; `--scenario` loads a named problem into a fresh engine folder.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../core/context.js';
import { UserError } from '../core/errors.js';
import type { TargetInfo } from '../core/facts.js';
import { embeddedDataDir, installCandidates, logsDir, trackerDataDir } from './paths.js';

export type TargetKind = 'auto' | 'installed' | 'embedded';

export interface TargetRequest {
  target?: TargetKind;
  dataDir?: string;
  scenario?: string;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export async function findInstalls(ctx: Context): Promise<string[]> {
  const found: string[] = [];
  for (const dir of installCandidates(ctx)) if (await isDir(dir)) found.push(dir);
  return found;
}

/**
 * The embedded engine's folder, created with the tracker's shape if it does not exist yet. On first
 * use it is initialised as a healthy tracker with some tracked and uploaded time (the engine is
 * loaded only then).
 */
export async function ensureEmbeddedDir(ctx: Context, dataDir = embeddedDataDir(ctx)): Promise<string> {
  await mkdir(logsDir(dataDir, ctx.platform), { recursive: true });
  const { ensureEmbeddedEngine } = await import('../engine/embedded.js');
  if (await ensureEmbeddedEngine(dataDir, ctx.now())) {
    ctx.logger.info(`Set up the embedded reference tracker in ${dataDir} (no Upwork app found).`);
  }
  return dataDir;
}

export async function resolveTarget(req: TargetRequest, ctx: Context): Promise<TargetInfo> {
  const kind = req.target ?? 'auto';
  if (!['auto', 'installed', 'embedded'].includes(kind)) {
    throw new UserError(`--target must be auto, installed or embedded (got "${kind}").`);
  }
  if (req.scenario) {
    if (req.dataDir)
      throw new UserError(
        '--scenario and --data-dir cannot be used together: a scenario makes its own folder.',
      );
    // Loaded only when a scenario is asked for, so resolving other targets never loads the engine.
    const { loadScenarioTarget } = await import('./scenario-loader.js');
    return loadScenarioTarget(req.scenario, ctx);
  }
  if (req.dataDir) {
    const dataDir = path.resolve(req.dataDir);
    const installDirs = kind === 'embedded' ? [] : await findInstalls(ctx);
    return {
      kind: kind === 'embedded' ? 'embedded' : 'installed',
      dataDir,
      found: await isDir(dataDir),
      installDirs,
      reason: '--data-dir',
    };
  }
  if (kind === 'installed' || kind === 'auto') {
    const installDirs = await findInstalls(ctx);
    const dataDir = trackerDataDir(ctx);
    const dataFound = await isDir(dataDir);
    if (kind === 'installed' || installDirs.length > 0 || dataFound) {
      return {
        kind: 'installed',
        dataDir,
        found: dataFound,
        installDirs,
        reason: kind === 'installed' ? '--target installed' : 'installed tracker detected',
      };
    }
  }
  const dataDir = await ensureEmbeddedDir(ctx);
  return {
    kind: 'embedded',
    dataDir,
    found: true,
    installDirs: [],
    reason:
      kind === 'embedded'
        ? '--target embedded'
        : 'no installed tracker found, using the embedded reference engine',
  };
}
