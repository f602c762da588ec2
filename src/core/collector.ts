import type { Context } from './context.js';
import type { FactKey, FactMap, FactSource, NotCollectedReason, TargetInfo } from './facts.js';
import type { Platform } from './check.js';

/** Thrown by a collector that could not collect its value; the runner records it as not-collected. */
export class NotCollectedError extends Error {
  constructor(
    readonly reason: NotCollectedReason,
    message: string,
    readonly sources: FactSource[] = [],
  ) {
    super(message);
    this.name = 'NotCollectedError';
  }
}

/** What a collector gets: the context, the target, run options, and a sink for its sources. */
export interface CollectorInput {
  ctx: Context;
  target: TargetInfo;
  options: RunOptions;
  /** Abort when the collector's timeout or the global deadline fires. */
  signal: AbortSignal;
  /** Record where a value came from (command, registry path, file, URL). */
  source(kind: FactSource['kind'], ref: string): void;
  /** Say what the collector is waiting on (shown when it is slow). */
  waitingOn(what: string): void;
}

/**
 * A collector: the only code that touches the OS. One per fact key, in src/facts/.
 * It returns the value, or throws NotCollectedError with the reason.
 */
export interface Collector<K extends FactKey = FactKey> {
  key: K;
  title: string;
  /** Where it applies; elsewhere the fact is not-collected with reason not-applicable. */
  platforms?: readonly Platform[];
  timeoutMs: number;
  collect(input: CollectorInput): Promise<FactMap[K]>;
}

export function defineCollector<K extends FactKey>(c: Collector<K>): Collector<K> {
  return c;
}

/** Options that change what collectors do (from the command line). */
export interface RunOptions {
  /** ntp://host:port from --time-server. */
  timeServer?: string;
  /** Seconds for helper-cpu sampling (--cpu-window). */
  cpuWindowSec?: number;
  /** The tracker service's base URL when known (the engine's server, or the real service). */
  serviceUrl?: string;
  /** PEM of extra CA roots that the target trusts (the engine's local CA). */
  extraCaPem?: string;
  [key: string]: unknown;
}

/** A target made ready for a run: the options it adds for the collectors, and how to stop what it started. */
export interface PreparedTarget {
  options: RunOptions;
  dispose(): Promise<void>;
}
