/**
 * Progress of a bundle on stderr: bytes read of the total, the file being read and the time left.
 * Nothing for the first second (a quick bundle says nothing); then one line that updates in place
 * on a terminal, or a plain line every few seconds without one; nothing at all with --json (the
 * caller passes `enabled: false`).
 */
import { formatBytes } from '../../core/format.js';

export interface ProgressOptions {
  enabled: boolean;
  tty: boolean;
  now: () => number;
  write: (text: string) => void;
}

/** Quiet for this long: a bundle that finishes sooner shows no progress. */
const QUIET_MS = 1000;

export class Progress {
  private readonly started: number;
  private total = 0;
  private done = 0;
  private file = '';
  private lastShown = 0;
  private shown = false;
  private readonly perJob = new Map<number, number>();

  constructor(private readonly opts: ProgressOptions) {
    this.started = opts.now();
  }

  setTotal(bytes: number): void {
    this.total = bytes;
  }

  /** `read` bytes of job `id` (cumulative for that job), which is file `name`. */
  read(id: number, read: number, name: string): void {
    this.done += read - (this.perJob.get(id) ?? 0);
    this.perJob.set(id, read);
    this.file = name;
    this.tick();
  }

  private tick(): void {
    if (!this.opts.enabled || this.total === 0) return;
    const now = this.opts.now();
    const elapsed = now - this.started;
    if (elapsed < QUIET_MS) return;
    if (now - this.lastShown < (this.opts.tty ? 200 : 5000)) return;
    this.lastShown = now;
    this.shown = true;
    const line = this.line(elapsed);
    this.opts.write(this.opts.tty ? `\r${line}\u001b[K` : `${line}\n`);
  }

  line(elapsed: number): string {
    const share = Math.min(1, this.done / this.total);
    const left = share > 0.01 ? Math.round(((elapsed / share) * (1 - share)) / 1000) : undefined;
    const eta =
      left === undefined ? '' : `, about ${left < 60 ? `${left} s` : `${Math.ceil(left / 60)} min`} left`;
    return `bundle: ${formatBytes(this.done)} of ${formatBytes(this.total)} read (${Math.floor(share * 100)} %)${eta}: ${this.file}`;
  }

  /** End the updating line (a terminal keeps what follows on its own line). */
  finish(): void {
    if (this.shown && this.opts.tty) this.opts.write('\n');
  }
}
