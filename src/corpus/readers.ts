/**
 * Corpus readers: each turns one file into a stream of documents (strings), never holding the
 * whole file. Formats:
 * - `notebook`: the notebook's one-column CSV without header, as pandas writes a Series: a line
 *   wrapped in double quotes (inner quotes doubled, newlines allowed inside) or left bare.
 * - `lines`: one document per line, taken as is.
 * - `csv`: RFC 4180 CSV with a header row; the document is the named column (csv-parse).
 * - `jsonl`: JSON Lines; the document is the named string field.
 * Empty documents are skipped (and counted by the caller if it wishes).
 */
import { parse } from 'csv-parse';
import { DataError } from './errors.js';
import { checkInputFile, openInputStream, readLines, withoutGz } from './lines.js';

export type CorpusFormat = 'notebook' | 'lines' | 'csv' | 'jsonl';

export interface Doc {
  text: string;
  /** 1-based line where the document starts in its file. */
  line: number;
}

export interface ReadOptions {
  format: CorpusFormat;
  /** Column (csv) or field (jsonl) holding the text. */
  column?: string;
}

/** Picks a format from the file name when the user gave none. */
export function guessFormat(path: string): CorpusFormat {
  const name = withoutGz(path);
  if (/\.csv$/i.test(name)) return 'csv';
  if (/\.jsonl$|\.ndjson$/i.test(name)) return 'jsonl';
  return 'notebook';
}

/** Documents of `path` in file order. */
export function readDocuments(path: string, opts: ReadOptions): AsyncGenerator<Doc> {
  switch (opts.format) {
    case 'notebook':
      return readNotebook(path);
    case 'lines':
      return readPlainLines(path);
    case 'csv':
      return readCsvColumn(path, requireColumn(opts));
    case 'jsonl':
      return readJsonlField(path, requireColumn(opts));
    default:
      throw new DataError(`unknown corpus format '${opts.format satisfies never as string}'`, 'use notebook, lines, csv, jsonl or dir');
  }
}

function requireColumn(opts: ReadOptions): string {
  if (!opts.column) {
    throw new DataError(`format ${opts.format} needs the name of the ${opts.format === 'csv' ? 'column' : 'field'} holding the text`,
      'pass --column NAME');
  }
  return opts.column;
}

async function* readPlainLines(path: string): AsyncGenerator<Doc> {
  for await (const l of readLines(path)) if (l.text.length > 0) yield { text: l.text, line: l.line };
}

async function* readNotebook(path: string): AsyncGenerator<Doc> {
  // A quoted document that spans lines: its text so far, each line break as it was (\n or \r\n).
  let open: { text: string; line: number } | null = null;
  let lineEnd = '\n';
  for await (const l of readLines(path)) {
    let text = l.text;
    const brokeWith = lineEnd;
    lineEnd = l.crlf ? '\r\n' : '\n';
    if (open) {
      // Continuation of a quoted field that held a newline.
      const close = closingQuote(text, 0);
      if (close < 0) {
        open.text += brokeWith + text;
        continue;
      }
      expectEnd(path, text, close, l.line);
      yield { text: (open.text + brokeWith + text.slice(0, close)).replaceAll('""', '"'), line: open.line };
      open = null;
      continue;
    }
    if (text.length === 0) continue;
    if (text[0] !== '"') {
      yield { text, line: l.line };
      continue;
    }
    text = text.slice(1);
    const close = closingQuote(text, 0);
    if (close < 0) {
      open = { text, line: l.line };
      continue;
    }
    expectEnd(path, text, close, l.line);
    const doc = text.slice(0, close).replaceAll('""', '"');
    if (doc.length > 0) yield { text: doc, line: l.line };
  }
  if (open) {
    throw new DataError(`${path}: the quoted document starting at line ${open.line} never closes`,
      'a line that starts with a double quote must end with one; use --format lines to take lines as they are');
  }
}

/** Index of the quote that closes a quoted field in `s` (skipping doubled quotes), or -1. */
function closingQuote(s: string, from: number): number {
  let i = s.indexOf('"', from);
  while (i >= 0) {
    if (s[i + 1] === '"') i = s.indexOf('"', i + 2);
    else return i;
  }
  return -1;
}

function expectEnd(path: string, s: string, close: number, line: number): void {
  if (close !== s.length - 1) {
    throw new DataError(`${path} line ${line}: text after the closing quote of a quoted document: ${JSON.stringify(s.slice(close, close + 20))}`,
      'inner quotes must be doubled (""); use --format lines to take lines as they are');
  }
}

async function* readCsvColumn(path: string, column: string): AsyncGenerator<Doc> {
  checkInputFile(path);
  const src = openInputStream(path);
  const parser = parse({ columns: true, bom: true, relax_column_count: false, info: true });
  src.on('error', (e) => parser.destroy(e));
  src.pipe(parser);
  let checked = false;
  try {
    for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (!checked) {
        checked = true;
        if (!(column in rec.record)) {
          throw new DataError(`${path} has no column '${column}'`, `its columns are: ${Object.keys(rec.record).join(', ')}`);
        }
      }
      const text = rec.record[column] ?? '';
      if (text.length > 0) yield { text, line: rec.info.lines };
    }
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`${path}: malformed CSV: ${(err as Error).message}`, 'the file must be RFC 4180 CSV with a header row');
  }
  if (!checked) throw new DataError(`${path} has a header but no rows`, 'a corpus needs at least one document');
}

async function* readJsonlField(path: string, field: string): AsyncGenerator<Doc> {
  for await (const l of readLines(path)) {
    if (l.text.trim().length === 0) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(l.text);
    } catch (err) {
      throw new DataError(`${path} line ${l.line}: not valid JSON (${(err as Error).message})`, 'JSON Lines holds one JSON object per line');
    }
    // Own fields only: 'constructor' or 'toString' must not be found on every object's prototype.
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || !Object.hasOwn(obj, field)) {
      const keys = typeof obj === 'object' && obj !== null ? Object.keys(obj).join(', ') : typeof obj;
      throw new DataError(`${path} line ${l.line}: no field '${field}'`, `its fields are: ${keys}`);
    }
    const text = (obj as Record<string, unknown>)[field];
    if (typeof text !== 'string') throw new DataError(`${path} line ${l.line}: field '${field}' is ${typeof text}, not a string`);
    if (text.length > 0) yield { text, line: l.line };
  }
}
