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
  /** The app's install folder (--app-dir), when it is not where the doctor looks. */
  appDir?: string;
  scenario?: string;
  /**
   * False when the run reads no tracker fact (`--only clock-skew`): the embedded folder is then not
   * created on first use, since nothing would read it.
   */
  readsTracker?: boolean;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export async function findInstalls(ctx: Context, appDir?: string): Promise<string[]> {
  if (appDir) {
    const dir = path.resolve(appDir);
    if (!(await isDir(dir))) throw new UserError(`--app-dir ${dir} is not a folder.`);
    return [dir];
  }
  const found: string[] = [];
  for (const dir of installCandidates(ctx)) if (await isDir(dir)) found.push(dir);
  return found;
}

/** Whether a folder holds the built-in reference engine (loaded only when the folder exists). */
async function holdsEngine(dataDir: string): Promise<boolean> {
  if (!(await isDir(dataDir))) return false;
  const { isEngineFolder } = await import('../engine/embedded.js');
  return isEngineFolder(dataDir);
}

/** "~/.Upwork" for a path under the home folder: headlines stay short and free of the user name. */
function tilde(p: string, home: string): string {
  return home && p.startsWith(home) ? `~${p.slice(home.length)}` : p;
}

/**
 * The sentence every run on the embedded default starts with (DESIGN.md: the headline tells whose
 * tracker it read).
 */
export function embeddedHeadline(lookedIn: readonly string[], home: string): string {
  return (
    `No Upwork app was found on this computer (looked in ${lookedIn.map((p) => tilde(p, home)).join(', ')}), ` +
    'so the tracker findings below describe the built-in reference tracker, not yours. ' +
    'If your app is installed elsewhere, point the doctor at it: upwork-doctor --app-dir <install folder> --data-dir <data folder>.'
  );
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
  if (req.dataDir) return dataDirTarget(req, kind, ctx);
  if (kind === 'installed' || kind === 'auto') {
    const installDirs = await findInstalls(ctx, req.appDir);
    const dataDir = trackerDataDir(ctx);
    const dataFound = await isDir(dataDir);
    if (kind === 'installed' || installDirs.length > 0 || dataFound) {
      return {
        kind: 'installed',
        dataDir,
        found: dataFound,
        installDirs,
        reason: req.appDir
          ? '--app-dir'
          : kind === 'installed'
            ? '--target installed'
            : 'installed tracker detected',
        args: [
          ...(kind === 'installed' ? ['--target', 'installed'] : []),
          ...(req.appDir ? ['--app-dir', installDirs[0]!] : []),
        ],
      };
    }
  }
  const dataDir = req.readsTracker === false ? embeddedDataDir(ctx) : await ensureEmbeddedDir(ctx);
  const lookedIn = [...installCandidates(ctx), trackerDataDir(ctx)];
  return {
    kind: 'embedded',
    dataDir,
    found: req.readsTracker === false ? await holdsEngine(dataDir) : true,
    installDirs: [],
    reference: true,
    lookedIn,
    reason:
      kind === 'embedded'
        ? '--target embedded'
        : 'no installed tracker found, using the embedded reference engine',
    headline:
      kind === 'embedded'
        ? 'You asked for the built-in reference tracker (--target embedded): the tracker findings below describe it, not an Upwork app.'
        : embeddedHeadline(lookedIn, ctx.homedir),
    args: kind === 'embedded' ? ['--target', 'embedded'] : [],
  };
}

/** `--data-dir`: the installed app's folder, or (labelled as such) a reference engine's. */
async function dataDirTarget(req: TargetRequest, kind: TargetKind, ctx: Context): Promise<TargetInfo> {
  const dataDir = path.resolve(req.dataDir!);
  const args = ['--data-dir', dataDir, ...(kind === 'auto' ? [] : ['--target', kind])];
  if (kind === 'embedded' || (kind === 'auto' && (await holdsEngine(dataDir)))) {
    return {
      kind: 'embedded',
      dataDir,
      found: await isDir(dataDir),
      installDirs: [],
      reference: true,
      reason: '--data-dir (a reference engine folder)',
      headline: `${dataDir} holds the built-in reference tracker, not an Upwork app: the tracker findings below describe it.`,
      args,
    };
  }
  return {
    kind: 'installed',
    dataDir,
    found: await isDir(dataDir),
    installDirs: await findInstalls(ctx, req.appDir),
    reason: '--data-dir',
    args: [...args, ...(req.appDir ? ['--app-dir', path.resolve(req.appDir)] : [])],
  };
}
