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
 * Whose facts a collector gathers (DESIGN.md: World facts and tracker facts).
 * - `world`: this machine and its path to Upwork (clock against Upwork's time, TLS, proxies,
 *   security software, the desktop session, disk). Measured against the real service whatever the
 *   target: the runner never hands such a collector the engine's service URL or CA, except under a
 *   named scenario, where the facts are then marked simulated.
 * - `tracker`: the tracker's own state (cache, contracts, processes, data folder, installs, logs),
 *   read from the target: the installed app or the reference engine.
 */
export type FactScope = 'world' | 'tracker';

/**
 * A collector: the only code that touches the OS. One per fact key, in src/facts/.
 * It returns the value, or throws NotCollectedError with the reason.
 */
export interface Collector<K extends FactKey = FactKey> {
  key: K;
  title: string;
  scope: FactScope;
  /**
   * World collectors that measure the service (clock, TLS, the connection to Upwork): under a named
   * scenario they measure the engine's reference server instead, on purpose, and their facts are
   * marked simulated. Never set on tracker collectors.
   */
  simulatedByScenario?: boolean;
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
  /**
   * The engine's work-diary server URL (embedded engine and scenarios). Tracker collectors read
   * the engine through it; world collectors get it only under a named scenario (see FactScope).
   */
  serviceUrl?: string;
  /** PEM of the engine's local CA, handed out like serviceUrl. */
  extraCaPem?: string;
  [key: string]: unknown;
}

/** A target made ready for a run: the options it adds for the collectors, and how to stop what it started. */
export interface PreparedTarget {
  options: RunOptions;
  dispose(): Promise<void>;
}
