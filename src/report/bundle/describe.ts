/**
 * What the person sees before a bundle is saved (the consent screen), and what `bundle --dry-run`
 * lists: each part, what it holds in plain words, how many files and bytes, what was left out.
 */
import { formatBytes } from '../../core/format.js';
import type { EntryCategory, Manifest, ManifestEntry } from './manifest.js';
import type { BundlePlan } from './plan.js';
import { docText } from './plan.js';

/** What each part of a bundle holds, as the consent screen says it. */
export const PART_HOLDS: Record<EntryCategory, string> = {
  report: "the doctor's findings on this machine (report.json, report.txt, report.html)",
  facts: 'the facts the checks read (OS, clock, network, proxy, cache counts, tracker processes), redacted',
  system: 'OS, CPU, memory, disks, time zone and versions; no serial numbers, UUIDs or MAC addresses',
  processes:
    "every running process by name, CPU and memory; full command lines (redacted) only for the tracker's own processes",
  cache: "the offline cache's metadata: file names, sizes, dates and hashes; never its contents",
  logs: "the tracker's logs, newest first within the size budget, redacted",
  screenshots: 'screenshots from the cache (only with --include-screenshots)',
};

const ORDER: EntryCategory[] = ['report', 'facts', 'system', 'processes', 'cache', 'logs', 'screenshots'];

interface Totals {
  files: number;
  bytes: number;
  skipped: number;
}

function totalsOf(
  entries: { category: EntryCategory; outcome: string; size?: number }[],
): Map<EntryCategory, Totals> {
  const m = new Map<EntryCategory, Totals>();
  for (const e of entries) {
    const t = m.get(e.category) ?? { files: 0, bytes: 0, skipped: 0 };
    if (e.outcome === 'skipped') t.skipped++;
    else {
      t.files++;
      t.bytes += e.size ?? 0;
    }
    m.set(e.category, t);
  }
  return m;
}

function partLines(totals: Map<EntryCategory, Totals>): string[] {
  const lines: string[] = [];
  for (const cat of ORDER) {
    const t = totals.get(cat);
    if (!t) continue;
    const count = `${t.files} file${t.files === 1 ? '' : 's'}, ${formatBytes(t.bytes)}${t.skipped ? `, ${t.skipped} left out` : ''}`;
    lines.push(`  ${cat.padEnd(12)} ${count}`, `  ${' '.repeat(12)} ${PART_HOLDS[cat]}`);
  }
  return lines;
}

/** The consent screen: each part, what it holds, the redactions, the archive. */
export function describeBundle(manifest: Manifest, fileSize: number): string {
  const lines = ['This bundle will contain:', ...partLines(totalsOf(manifest.entries))];
  const red = Object.entries(manifest.redaction.totals).sort((a, b) => b[1] - a[1]);
  lines.push(
    red.length
      ? `Redacted: ${red.map(([k, v]) => `${k} ${v}`).join(', ')} (${manifest.redaction.distinctValues} distinct values).`
      : 'Redacted: nothing needed redacting.',
  );
  lines.push(
    `Archive: ${formatBytes(fileSize)}${manifest.options.encrypted ? ', encrypted to the support certificate' : ''}. Screenshots: ${manifest.options.includeScreenshots ? 'included' : 'not included'}. Cache contents: never included.`,
  );
  return lines.join('\n');
}

export interface DryRunEntry {
  name?: string;
  category: EntryCategory;
  source: string;
  /** Bytes that would be read (before redaction and compression). */
  bytes?: number;
  skipped?: string;
}

export interface DryRun {
  parts: { category: EntryCategory; holds: string; files: number; bytes: number; leftOut: number }[];
  entries: DryRunEntry[];
  text: string;
}

/** `bundle --dry-run`: the same plan a bundle would write, listed; nothing is read into an archive. */
export function describePlan(plan: BundlePlan, opts: { includeScreenshots: boolean }): DryRun {
  const safe = (s: string) => plan.redactor.redactText(s);
  const entries: DryRunEntry[] = [
    ...plan.docs.map((d) => ({
      name: d.name,
      category: d.category,
      source: d.source,
      bytes: Buffer.byteLength(docText(d)),
    })),
    ...plan.logs.map((f) => ({
      name: safe(f.name),
      category: 'logs' as const,
      source: safe(f.source),
      bytes: f.size - f.start,
    })),
    ...(opts.includeScreenshots
      ? plan.screenshots.map((s) => ({
          name: safe(`cache/${s.rel}`),
          category: 'screenshots' as const,
          source: safe(`<data>/Upwork/Cache/${s.rel}`),
          bytes: s.size,
        }))
      : []),
    ...plan.skipped.map((e: ManifestEntry) => ({
      category: e.category,
      source: safe(e.source),
      skipped: `${e.reason ?? 'skipped'}${e.detail ? ` (${safe(e.detail)})` : ''}`,
    })),
  ];
  const totals = totalsOf(
    entries.map((e) => ({ category: e.category, outcome: e.skipped ? 'skipped' : 'kept', size: e.bytes })),
  );
  const parts = ORDER.filter((c) => totals.has(c)).map((c) => {
    const t = totals.get(c) as Totals;
    return { category: c, holds: PART_HOLDS[c], files: t.files, bytes: t.bytes, leftOut: t.skipped };
  });
  const list = entries.map((e) =>
    e.skipped
      ? `  - ${e.source}: left out, ${e.skipped}`
      : `  + ${e.name ?? e.source}  ${formatBytes(e.bytes ?? 0)}${e.name && e.source !== e.name ? `  (${e.source})` : ''}`,
  );
  const text = [
    'A bundle would contain (dry run: nothing was written; sizes before redaction and compression):',
    ...partLines(totals),
    '',
    'Files:',
    ...list,
  ].join('\n');
  return { parts, entries, text };
}
