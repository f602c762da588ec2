import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import type { Report } from './model.js';
import { renderText } from './text.js';
import type { TextOptions } from './text.js';

export type ReportFormat = 'text' | 'json' | 'junit' | 'html';

export function renderReport(report: Report, format: ReportFormat, text: TextOptions): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'junit':
      return renderJunit(report);
    case 'text':
      return renderText(report, text);
    case 'html':
      return renderHtml(report);
  }
}
