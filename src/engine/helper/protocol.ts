/**
 * The messages the tracker and its Helper process exchange over the IPC channel, and the Helper's
 * pidfile. Shared by both sides so the wire shape cannot drift.
 */

export const HELPER_TITLE = 'Upwork Helper';

/** normal: synthetic screenshots; black: all-black frames (lock screen, missing permission); cpu: the GPU-less busy loop. */
export type HelperMode = 'normal' | 'black' | 'cpu';
export const HELPER_MODES: readonly HelperMode[] = ['normal', 'black', 'cpu'];

export type HelperRequest =
  | { type: 'screenshot'; id: number; seed: number; width?: number; height?: number }
  | { type: 'cpu'; id: number }
  | { type: 'stop' };

export type HelperResponse =
  | { type: 'ready'; pid: number; mode: HelperMode; gpu: boolean }
  | { type: 'screenshot'; id: number; pngBase64: string; black: boolean }
  | { type: 'cpu'; id: number; userMicros: number; systemMicros: number }
  | { type: 'error'; id: number; message: string };

/** `<data>/engine/helper.json`, written by the Helper when it starts and removed when it exits. */
export interface HelperPidfile {
  pid: number;
  args: string[];
  startedAt: string;
  gpu: boolean;
  mode: HelperMode;
}
