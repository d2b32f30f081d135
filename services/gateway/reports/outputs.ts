/** One report in the format asked for: the JSON envelope, CSV, printable HTML or its PDF. */
import { RawAnswer } from '../rest/operation.ts';

import { REPORT_FORMATS, type ReportFormat } from './schedule.ts';

export { REPORT_FORMATS, type ReportFormat };

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};

/** The alternative answers of a report operation, for the operations table. */
export const REPORT_ALSO_ANSWERS = [
  { status: 200, contentType: 'text/csv', description: 'format=csv' },
  { status: 200, contentType: 'text/html', description: 'format=html: printable, charts as SVG' },
  { status: 200, contentType: 'application/pdf', description: 'format=pdf: the HTML printed' },
] as const;

export interface Renderers {
  csv: () => string;
  html: () => string;
  renderPdf: (html: string) => Promise<Uint8Array>;
}

/** The bytes of a report in a non-JSON format. */
export async function renderReport(
  format: Exclude<ReportFormat, 'json'>,
  r: Renderers,
): Promise<string | Uint8Array> {
  if (format === 'csv') return r.csv();
  const html = r.html();
  return format === 'html' ? html : r.renderPdf(html);
}

/** The answer of a report operation: the JSON itself, or a file. */
export async function reportAnswer<T>(
  format: ReportFormat,
  json: T,
  r: Renderers,
  filename: string,
): Promise<T | RawAnswer> {
  if (format === 'json') return json;
  const body = await renderReport(format, r);
  const disposition = format === 'html' ? 'inline' : 'attachment';
  return new RawAnswer(CONTENT_TYPES[format], body, {
    'Content-Disposition': `${disposition}; filename="${filename}.${format}"`,
    // The page has no script and loads nothing: say so to the browser.
    ...(format === 'html'
      ? {
          'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        }
      : {}),
  });
}
