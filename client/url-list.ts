// A URL list from a file (`.txt` one URL per line, `.csv` through csv-parse) turned into a create request validated
// against the API's own limits (zod), with every problem naming the file's line: the first step of a run, before
// Temporal is contacted.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { CsvError, parse as parseCsv } from 'csv-parse/sync';
import { ValidationError } from '../olostep/errors';
import { type CreateBatchRequestInput, validateCreateRequest } from '../olostep/schemas';

/** A problem with the URL list or the request built from it; `problems` say where, with the file's line numbers. */
export class RunInputError extends Error {
  declare readonly name: 'RunInputError';
  readonly problems: { path: string; line: number | null; message: string }[];
  constructor(message: string, problems: RunInputError['problems'] = []) {
    super(message);
    this.problems = problems;
  }
}
Object.defineProperty(RunInputError.prototype, 'name', { value: 'RunInputError', enumerable: false });

export type UrlListFormat = 'txt' | 'csv';

export interface ParsedUrlList {
  format: UrlListFormat;
  items: { url: string; custom_id: string }[];
  /** 1-based source line of each item (for messages: `items[3]` is `lines[3]`). */
  lines: number[];
}

/** `csv` for `.csv` files, `txt` otherwise. */
export function urlListFormatOf(filename: string): UrlListFormat {
  return extname(filename).toLowerCase() === '.csv' ? 'csv' : 'txt';
}

/**
 * Parses a URL list into create-request items with `custom_id`s. A leading BOM is ignored.
 *
 * - `txt`: one URL per line; blank lines and lines starting with `#` are skipped; `custom_id` is `line-<n>`.
 * - `csv` (RFC 4180: quotes, `""`, CRLF, line breaks and commas inside quotes): with a header row naming a `url`
 *   column (and optionally `custom_id` or `id`), those columns; without one, column 1 is the URL and column 2, when
 *   present, the `custom_id`, and rows whose URL starts with `#` are skipped. Blank rows are skipped; rows without an
 *   id get `line-<n>`, the line the row starts on.
 *
 * URLs are trimmed but not otherwise checked here: `buildRunRequest` validates the whole request.
 * @throws RunInputError when the list has no URL at all, or the CSV is malformed (`line 4: a quoted CSV field is
 *   never closed`).
 */
export function parseUrlList(text: string, format: UrlListFormat = 'txt'): ParsedUrlList {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const items: ParsedUrlList['items'] = [];
  const lines: number[] = [];
  if (format === 'txt') {
    body.split(/\r\n|\n|\r/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      items.push({ url: line, custom_id: `line-${i + 1}` });
      lines.push(i + 1);
    });
  } else {
    const rows = csvRows(body);
    const header = rows[0]?.cells.map((c) => c.trim().toLowerCase());
    const urlColumn = header?.indexOf('url') ?? -1;
    const hasHeader = urlColumn !== -1;
    const idColumn = hasHeader ? (header ?? []).findIndex((h) => h === 'custom_id' || h === 'id') : 1;
    for (const row of hasHeader ? rows.slice(1) : rows) {
      const url = (row.cells[hasHeader ? urlColumn : 0] ?? '').trim();
      if (url === '' && row.cells.every((c) => c.trim() === '')) continue;
      if (!hasHeader && url.startsWith('#')) continue;
      const id = idColumn === -1 ? '' : (row.cells[idColumn] ?? '').trim();
      items.push({ url, custom_id: id === '' ? `line-${row.line}` : id });
      lines.push(row.line);
    }
  }
  if (items.length === 0) throw new RunInputError(`the ${format} list has no URLs`);
  return { format, items, lines };
}

const CSV_PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted CSV field is never closed',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE:
    'text follows a closing quote (inside a quoted field, write a quote as "")',
};

/**
 * The CSV's records (blank lines included, as one empty cell) with the line each starts on. Lines are counted here,
 * from the byte offset where csv-parse ends each record: its own count takes a CRLF inside a quoted field for two
 * lines, and an unclosed quote is reported at the end of the input rather than on the line where the record starts.
 */
function csvRows(text: string): { line: number; cells: string[] }[] {
  const bytes = Buffer.from(text, 'utf8');
  const ends: number[] = [];
  let records: string[][];
  try {
    records = parseCsv(bytes, {
      record_delimiter: ['\r\n', '\n', '\r'], // auto-detection would keep the first kind it meets and miss the others
      relax_column_count: true, // `url` rows and `url,custom_id` rows in one file
      relax_quotes: true, // a `"` inside an unquoted field is a character
      trim: true, // spaces around a quoted field
      on_record: (record: string[], { bytes: end }) => {
        ends.push(end);
        return record;
      },
    });
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const problem = CSV_PROBLEMS[err.code] ?? err.message.replace(/ at line \d+.*$/, '');
    throw new RunInputError(`line ${lineAt(bytes, ends.at(-1) ?? 0)}: ${problem}`);
  }
  const rows: { line: number; cells: string[] }[] = [];
  let line = 1;
  let start = 0;
  records.forEach((cells, i) => {
    rows.push({ line, cells });
    const end = ends[i] ?? bytes.length;
    line += lineBreaks(bytes, start, end);
    start = end;
  });
  return rows;
}

/** 1-based line of the byte at `offset`. */
function lineAt(bytes: Buffer, offset: number): number {
  return 1 + lineBreaks(bytes, 0, offset);
}

/** Line breaks (CRLF, LF or CR) in `bytes[from, to)`. */
function lineBreaks(bytes: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const b = bytes[i];
    if (b === 0x0a || (b === 0x0d && bytes[i + 1] !== 0x0a)) n++;
  }
  return n;
}

/** Reads and parses a `.txt` or `.csv` URL list (format from the extension unless given). */
export async function readUrlList(path: string, format: UrlListFormat = urlListFormatOf(path)): Promise<ParsedUrlList> {
  return parseUrlList(await readFile(path, 'utf8'), format);
}

export interface RunRequestOptions {
  brands?: string[];
  /** `RANDOM` (API default) or an ISO 3166-1 alpha-2 code. */
  country?: string;
  metadata?: Record<string, string | number | boolean>;
}

/**
 * The create request for `list`, validated against every documented limit (10,000 URLs, URL syntax, custom_id
 * length and uniqueness, brands, country, metadata). Problems name the item and its line:
 * `items[3].url (line 5): "notaurl" is not a valid URL (cannot be parsed)`.
 * @throws RunInputError
 */
export function buildRunRequest(list: ParsedUrlList, options: RunRequestOptions = {}): CreateBatchRequestInput {
  const request: CreateBatchRequestInput = {
    items: list.items,
    ...(options.brands !== undefined && options.brands.length > 0 ? { brands: options.brands } : {}),
    ...(options.country !== undefined ? { country: options.country } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
  };
  try {
    validateCreateRequest(request);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const problems = err.details.map((d) => {
      const index = /^items\[(\d+)\]/.exec(d.path)?.[1];
      const line = index === undefined ? null : (list.lines[Number(index)] ?? null);
      return { path: d.path, line, message: d.message };
    });
    const shown = problems
      .slice(0, 3)
      .map((p) => `${p.path}${p.line !== null ? ` (line ${p.line})` : ''}: ${p.message}`)
      .join('; ');
    const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
    throw new RunInputError(
      `invalid create request (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${shown}${more}`,
      problems,
    );
  }
  return request;
}
