/**
 * The names of the tracker's log files: the one contract between the writer (the reference engine,
 * src/engine/logs.ts) and the reader (src/facts/logs.ts), kept here so neither imports the other.
 *
 * The real app rotates daily (research/real-app-facts.md): `upwork..YYYYMMDD.log` (main),
 * `upwork.cmon.YYYYMMDD.log` (connection monitor), `dash..upwork.YYYYMMDD.log`, and older builds
 * `upwork.YYYYMMDD.log`. How it caps one day's file is not verified: a rotation suffix
 * (`….log.1`, `….1.log`) and undated `*.log*` files are accepted as well.
 */

export type LogFileKind = 'main' | 'cmon' | 'dash' | 'other';

export interface LogFileName {
  /** main: `upwork..D.log` / `upwork.D.log`; cmon: connection monitor; dash; other: any other `*.log*`. */
  kind: LogFileKind;
  /** The day the file covers, from its name (`YYYY-MM-DD`, local time), or null when undated. */
  date: string | null;
  /** 0 for the live file, N for a size-rotated copy (`.log.N` or `.N.log`). */
  rotation: number;
}

const DATED = /^(upwork\.\.|upwork\.|upwork\.cmon\.|dash\.\.upwork\.)(\d{4})(\d{2})(\d{2})(?:\.(\d+))?\.log(?:\.(\d+))?$/i;
const UNDATED = /^[\w.-]*\.log(?:\.(\d+))?$/i;

function prefixKind(prefix: string): LogFileKind {
  const p = prefix.toLowerCase();
  if (p === 'upwork.cmon.') return 'cmon';
  if (p === 'dash..upwork.') return 'dash';
  return 'main';
}

/** What a file name says about a log file; undefined when the name is not a log's. */
export function classifyLogFile(name: string): LogFileName | undefined {
  const m = DATED.exec(name);
  if (m) {
    const [, prefix, y, mo, d, mid, tail] = m;
    const month = Number(mo);
    const day = Number(d);
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31)
      return { kind: prefixKind(prefix!), date: `${y}-${mo}-${d}`, rotation: Number(tail ?? mid ?? 0) };
  }
  const u = UNDATED.exec(name);
  if (u) return { kind: 'other', date: null, rotation: Number(u[1] ?? 0) };
  return undefined;
}

/** The file name the app (and the engine) use for a kind and local date (`upwork..20250410.log`). */
export function logFileName(kind: Exclude<LogFileKind, 'other'>, date: string): string {
  const ymd = date.replaceAll('-', '');
  if (kind === 'cmon') return `upwork.cmon.${ymd}.log`;
  if (kind === 'dash') return `dash..upwork.${ymd}.log`;
  return `upwork..${ymd}.log`;
}

/** Epoch ms of the end of a local day (`YYYY-MM-DD` → next midnight, local time). */
export function localDayEndMs(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d + 1, 0, 0, 0, 0).getTime();
}

