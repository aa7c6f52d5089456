/**
 * Choosing how to read a text file when the user named no format: the notebook's CSV-quoted
 * lines, or plain lines. Both read a file without quotes the same way, so the question only
 * arises when some line starts with a double quote: if the first lines parse as one-column CSV
 * (every quoted line closes, inner quotes doubled), the file was written by a CSV writer and is
 * read as `notebook`; if one does not (prose whose line opens with a quotation), it is read as
 * `lines`. The choice and its reason are returned so that commands can say which reading they took.
 */
import { DataError } from './errors.js';
import { readLines } from './lines.js';
import { readDocuments } from './readers.js';

/** Lines looked at before choosing; a quoting error further down still fails with its line. */
export const SNIFF_LINES = 10_000;

export interface Reading {
  format: 'notebook' | 'lines';
  /** Why, in a few words: "1,990 of 2,000 lines CSV-quoted", "line 153 is not CSV: …". */
  reason: string;
}

/** Picks notebook or lines for `path` from its first SNIFF_LINES lines. */
export async function sniffReading(path: string): Promise<Reading> {
  let lines = 0;
  let quoted = 0;
  for await (const l of readLines(path)) {
    if (l.text.length > 0) {
      lines++;
      if (l.text[0] === '"') quoted++;
    }
    if (l.line >= SNIFF_LINES) break;
  }
  if (quoted === 0) return { format: 'lines', reason: `no line starts with a double quote (${plural(lines, 'line')} looked at)` };
  try {
    let docs = 0;
    for await (const d of readDocuments(path, { format: 'notebook' })) {
      if (++docs >= SNIFF_LINES || d.line >= SNIFF_LINES) break;
    }
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    // Only the quoting errors mean "not CSV"; a bad byte or a missing file is the same error either way.
    const m = /line (\d+)(?::| never)/.exec(err.message);
    if (!m || /invalid UTF-8/.test(err.message)) throw err;
    const what = /never closes/.test(err.message) ? 'opens a quote that never closes' : 'has text after its closing quote';
    return { format: 'lines', reason: `line ${m[1]} ${what}, so this is not a CSV-quoted file` };
  }
  return { format: 'notebook', reason: `${plural(quoted, 'line')} of ${lines.toLocaleString('en-US')} CSV-quoted` };
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** One line for people: `read train.txt as the notebook's CSV-quoted lines (…); --format lines …`. */
export function describeReading(file: string, r: Reading): string {
  return r.format === 'notebook'
    ? `read ${file} as the notebook's CSV-quoted lines (${r.reason}); --format lines takes lines as they are`
    : `read ${file} as plain lines, one document per line (${r.reason}); --format notebook reads CSV quoting`;
}
