import type { Facts } from '../core/facts.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import type { Report } from './model.js';
import { renderText } from './text.js';
import type { TextOptions } from './text.js';

export type ReportFormat = 'text' | 'json' | 'junit' | 'html';

/** `facts` (the run's snapshot) lets the HTML report draw its charts; other formats ignore it. */
export function renderReport(
  report: Report,
  format: ReportFormat,
  text: TextOptions & { facts?: Facts },
): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'junit':
      return renderJunit(report);
    case 'text':
      return renderText(report, text);
    case 'html':
      return renderHtml(report, text.facts);
  }
}
