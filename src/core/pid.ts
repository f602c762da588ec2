/**
 * Whether a process id names a running process. The one place that asks: a LOCK, a server.json, a
 * partial bundle or a Helper pidfile all decide "is its owner still there?" the same way.
 */

/** True when a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
