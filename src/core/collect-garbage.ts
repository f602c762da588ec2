/**
 * Ask V8 for a garbage collection now, at a moment the caller knows a batch of large buffers just
 * died (a log written into the bundle). V8 frees a buffer's memory only when a collection finds
 * its object dead, and it starts one by the growth of its own heap, not by how much memory such
 * buffers hold: between two collections tens of MiB of dead buffers waited, and the bundle's peak
 * memory grew with the size of the logs. `minor` (the young generation: a millisecond) frees what
 * died young; `major` (the whole heap) is for a worker's small heap.
 *
 * `gc` is V8's own function, exposed by its flag to contexts created after the flag is set.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options?: { type?: 'minor' | 'major' }) => void;
let gc: Gc | undefined;

export function collectGarbage(type: 'minor' | 'major'): void {
  gc ??= (() => {
    v8.setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as Gc;
  })();
  gc({ type });
}
