/** Findings: what a check says about one thing, in words a freelancer understands. */

export type FindingStatus = 'pass' | 'warn' | 'fail' | 'skip' | 'error' | 'timeout';

export const STATUS_ORDER: Record<FindingStatus, number> = {
  fail: 0,
  error: 1,
  timeout: 2,
  warn: 3,
  skip: 4,
  pass: 5,
};

export interface Remediation {
  /** What to do, in one or two sentences. */
  text: string;
  /** Exact commands the user (or an admin) can run. */
  commands: string[];
  docsUrl?: string;
  /** Ids of fixes (src/fixes/) that `upwork-doctor fix` can apply. */
  fixIds: string[];
}

export interface Finding {
  /** The check id (kebab-case). */
  id: string;
  title: string;
  status: FindingStatus;
  /** Stable finding code, e.g. UWD-CACHE-002. */
  code: string;
  /** One sentence: what is wrong and why it matters. */
  summary: string;
  details: string[];
  /** Raw values behind the verdict, and where they came from. */
  evidence: Record<string, unknown>;
  remediation?: Remediation;
  durationMs: number;
  /** Built on facts a named scenario simulated (its reference server stood in for Upwork's service). */
  simulated?: { scenario: string };
  /** About the built-in reference tracker, not the user's (tracker facts read from an engine folder). */
  referenceTracker?: boolean;
}

/** What a check's `run` returns; the runner adds id, title and duration. */
export interface CheckOutcome {
  status: FindingStatus;
  code: string;
  summary: string;
  details?: string[];
  evidence?: Record<string, unknown>;
  remediation?: Partial<Remediation> & { text: string };
}

export function remediation(r: Partial<Remediation> & { text: string }): Remediation {
  return {
    text: r.text,
    commands: r.commands ?? [],
    fixIds: r.fixIds ?? [],
    ...(r.docsUrl ? { docsUrl: r.docsUrl } : {}),
  };
}
