/**
 * Clock anomalies between two tracker ticks. The wall clock can jump (NTP step, the user setting
 * the time) and stops meaning "time worked" while the machine sleeps; the monotonic clock does not
 * advance during sleep and never steps. Comparing the two per tick tells a sleep from a step, and
 * the monotonic clock bounds the wall time the tracker may count up to.
 */

export interface ClockReading {
  /** Wall clock, UTC epoch ms. */
  wall: number;
  /** Monotonic ms. */
  mono: number;
}

export interface ClockThresholds {
  /** Wall ahead of monotonic by more than this between two ticks: the machine slept. */
  suspendThresholdMs: number;
  /** Wall and monotonic apart by more than this (either way) between two ticks: the wall clock stepped. */
  stepThresholdMs: number;
}

export type ClockVerdictKind = 'normal' | 'suspend' | 'step-forward' | 'step-backward';

export interface ClockVerdict {
  kind: ClockVerdictKind;
  wallDeltaMs: number;
  monoDeltaMs: number;
  /**
   * The last wall time (in the previous tick's frame) that monotonic time vouches for: the previous
   * wall reading plus the monotonic time that really elapsed. Minutes are counted up to here, never
   * across a sleep or a step.
   */
  trustedWall: number;
}

export function classifyClock(prev: ClockReading, cur: ClockReading, t: ClockThresholds): ClockVerdict {
  const wallDeltaMs = cur.wall - prev.wall;
  // A monotonic clock never goes back; if a source misbehaves, trust none of the interval.
  const monoDeltaMs = Math.max(0, cur.mono - prev.mono);
  const skew = wallDeltaMs - monoDeltaMs;
  const trustedWall = prev.wall + monoDeltaMs;
  let kind: ClockVerdictKind = 'normal';
  // Sleep first: a wake-up is also a large forward wall jump, and must not be read as a step.
  if (skew > t.suspendThresholdMs) kind = 'suspend';
  else if (skew > t.stepThresholdMs) kind = 'step-forward';
  else if (skew < -t.stepThresholdMs) kind = 'step-backward';
  return { kind, wallDeltaMs, monoDeltaMs, trustedWall };
}
