/** The manifest inside every bundle: what each entry is, where it came from and what happened to it. */
import type { RedactionCounts } from '../redact/redactor.js';

export const MANIFEST_VERSION = 1;
export const MANIFEST_NAME = 'manifest.json';

export type EntryCategory = 'report' | 'facts' | 'system' | 'processes' | 'cache' | 'logs' | 'screenshots';

export type SkipReason =
  | 'permission-denied'
  | 'symlink-outside'
  | 'too-large'
  | 'vanished'
  | 'older-than-since'
  | 'not-a-file'
  | 'error';

export type EntryOutcome = 'generated' | 'copied' | 'redacted' | 'tailed' | 'skipped';

export interface ManifestEntry {
  /** Name inside the archive (absent for skipped entries). */
  name?: string;
  category: EntryCategory;
  /** Where it came from: `<data>/Upwork/Logs/…`, `doctor run`, `systeminformation` … */
  source: string;
  outcome: EntryOutcome;
  /** Bytes stored in the archive (uncompressed) and their sha256. */
  size?: number;
  sha256?: string;
  /** Size of the source file when it was read. */
  sourceSize?: number;
  sourceModified?: string;
  /** Bytes cut from the start of a tailed file. */
  bytesDropped?: number;
  /** Replacements per redaction rule. */
  redactions?: RedactionCounts;
  reason?: SkipReason;
  detail?: string;
}

export interface Manifest {
  manifestVersion: number;
  tool: { name: string; version: string };
  ticket: string | null;
  createdAt: string;
  /** sha256-derived short name of the host; never the host name. */
  hostId: string;
  platform: string;
  target: { kind: string };
  options: { maxSizeMB: number; since: string | null; includeScreenshots: boolean; encrypted: boolean };
  redaction: { rulesVersion: string; totals: RedactionCounts; distinctValues: number };
  entries: ManifestEntry[];
}
