/** The report: one run's findings with the context a reader needs. Renderers are pure over it. */
import type { TargetInfo } from '../core/facts.js';
import type { Finding } from '../core/finding.js';
import type { Summary } from '../core/runner.js';

export const REPORT_SCHEMA_VERSION = 1;

export interface Report {
  schemaVersion: number;
  tool: { name: string; version: string };
  target: TargetInfo;
  host: { hostname: string; os: string; arch: string; node: string };
  startedAt: string;
  durationMs: number;
  deadlineHit: boolean;
  findings: Finding[];
  summary: Summary;
  exitCode: number;
}
