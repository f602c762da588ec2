import type { Report } from './model.js';

/** `--format json`: the whole report, stable key order, no colour. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
