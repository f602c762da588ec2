/**
 * Facts: one typed, JSON-serialisable snapshot of everything the checks look at.
 *
 * Each collector in src/facts/ adds its own key to `FactMap` by module augmentation:
 *
 *   declare module '../core/facts.js' { interface FactMap { disk: DiskFacts } }
 *
 * so rooms never have to edit one shared file to add a fact.
 */

export const FACTS_VERSION = 1;

/** The value type of every fact, by key. Extended by each collector (module augmentation). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FactMap {}

export type FactKey = keyof FactMap & string;

/** Why a value could not be collected. */
export type NotCollectedReason =
  'needs-admin' | 'needs-full-disk-access' | 'not-applicable' | 'timeout' | 'error';

/** Where a value came from: a command, a registry path, a file, a URL, or the person's own answer. */
export interface FactSource {
  kind: 'command' | 'registry' | 'file' | 'url' | 'api' | 'env' | 'person';
  /** e.g. `timedatectl show`, `HKCU\\Software\\...`, `/home/u/.Upwork`, `https://127.0.0.1:4431/time` */
  ref: string;
}

/**
 * Where a fact stands: `world` facts describe this machine and its path to Upwork, `tracker` facts
 * the tracker's state (see FactScope in collector.ts). `simulated` is set when a named scenario's
 * reference server stood in for Upwork's service while this fact was measured.
 */
export interface FactOrigin {
  scope?: 'world' | 'tracker';
  simulated?: { scenario: string };
}

export interface CollectedFact<T> extends FactOrigin {
  state: 'collected';
  value: T;
  sources: FactSource[];
  durationMs: number;
}

export interface NotCollectedFact extends FactOrigin {
  state: 'not-collected';
  reason: NotCollectedReason;
  message: string;
  sources: FactSource[];
  durationMs: number;
}

export type Fact<T> = CollectedFact<T> | NotCollectedFact;

/** Where the facts were collected: the installed app, the embedded engine, a scenario, or recorded facts. */
export interface TargetInfo {
  kind: 'installed' | 'embedded' | 'scenario';
  /** The tracker's data folder (the one holding `Upwork/Logs`). */
  dataDir: string;
  /** Whether the data folder existed when the run started. */
  found: boolean;
  /** Scenario name when kind is `scenario`. */
  scenario?: string;
  /** Install folders found for the installed app. */
  installDirs?: string[];
  /** How the target was chosen, in words ("--data-dir", "detected", "no install found, using the embedded engine"). */
  reason: string;
  /**
   * The data folder holds the built-in reference tracker (the embedded default, `--target
   * embedded`, or `--data-dir` on an engine folder): its tracker findings are the reference
   * tracker's, never the user's.
   */
  reference?: boolean;
  /** Where the doctor looked for an installed app (install folders and the data folder). */
  lookedIn?: string[];
  /**
   * The one sentence every run on the embedded default starts with: no app was found, where the
   * doctor looked, that tracker findings describe the reference tracker, and how to point it at
   * an app installed elsewhere.
   */
  headline?: string;
  /** The command-line options that chose this target, carried by every command the doctor prints. */
  args?: string[];
}

export interface Facts {
  factsVersion: number;
  /** When collection started (ISO 8601, UTC). Checks use this as "now": they stay pure. */
  collectedAt: string;
  platform: NodeJS.Platform;
  target: TargetInfo;
  /** Host data for the report header; redacted when recorded. */
  host: { hostname: string; os: string; arch: string; node: string };
  items: { [K in FactKey]?: Fact<FactMap[K]> };
}

export function collected<T>(value: T, sources: FactSource[] = [], durationMs = 0): CollectedFact<T> {
  return { state: 'collected', value, sources, durationMs };
}

export function notCollected(
  reason: NotCollectedReason,
  message: string,
  sources: FactSource[] = [],
  durationMs = 0,
): NotCollectedFact {
  return { state: 'not-collected', reason, message, sources, durationMs };
}

/** The fact under `key`, or undefined when it is absent from the snapshot. */
export function getFact<K extends FactKey>(facts: Facts, key: K): Fact<FactMap[K]> | undefined {
  return facts.items[key] as Fact<FactMap[K]> | undefined;
}

/** The collected value under `key`, or undefined when it was not collected. */
export function factValue<K extends FactKey>(facts: Facts, key: K): FactMap[K] | undefined {
  const f = getFact(facts, key);
  return f && f.state === 'collected' ? f.value : undefined;
}
