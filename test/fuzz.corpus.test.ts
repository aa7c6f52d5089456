/**
 * Property and fuzz tests of the corpus readers (corpus/): every list of documents written as the
 * notebook's CSV-quoted lines (as pandas writes a Series), as CSV with a header, as JSON Lines or
 * as plain lines — gzipped or not — reads back as the same texts; random bytes, and damaged gzip
 * streams, end in a DataError naming the file, never another error.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { readDocuments, type CorpusFormat } from '../src/corpus/readers.js';
import { sniffReading } from '../src/corpus/sniff.js';
import { edits, fuzz, mutate, scratch, typedOrValue } from './helpers/fuzz.js';

const dir = scratch('corpus');

/** Texts with the characters that matter to quoting: quotes, commas, both line ends, BOMs, any code point. */
const text = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30, unit: 'binary' }),
  fc.array(fc.constantFrom('"', ',', '\n', '\r', '\r\n', ' ', 'a', 'é', '\ufeff', '""', '\t'), { minLength: 1, maxLength: 8 }).map((a) => a.join('')),
);

/** One field as pandas' to_csv (QUOTE_MINIMAL) writes it: quoted when it holds a quote, comma or line end. */
function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

async function readAll(path: string, format: CorpusFormat, column?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const d of readDocuments(path, { format, ...(column ? { column } : {}) })) out.push(d.text);
  return out;
}

let n = 0;
function write(name: string, content: string | Uint8Array, gz: boolean): string {
  const p = join(dir, `${n++ % 8}-${name}${gz ? '.gz' : ''}`);
  writeFileSync(p, gz ? gzipSync(content) : content);
  return p;
}

describe('corpus readers: properties', () => {
  test('notebook CSV quoting: documents written as pandas writes them read back the same', async () => {
    // A document that would start the file with a byte-order mark unquoted is read as a BOM (dropped), as every CSV reader does.
    const docs = fc.array(text, { minLength: 1, maxLength: 8 }).filter((d) => !/^\ufeff/.test(d[0]!) || /[",\n\r]/.test(d[0]!));
    await fuzz('corpus notebook round trip', fc.tuple(docs, fc.boolean()), async ([d, gz]) => {
      const p = write('nb.txt', d.map(csvField).join('\n') + '\n', gz);
      assert.deepEqual(await readAll(p, 'notebook'), d);
      const sniffed = await sniffReading(p);
      if (d.some((x) => csvField(x).startsWith('"'))) assert.equal(sniffed.format, 'notebook', sniffed.reason);
    }, { quick: 150 });
  });

  test('CSV with a header: the named column reads back the same', async () => {
    await fuzz('corpus csv round trip', fc.tuple(fc.array(text, { minLength: 1, maxLength: 8 }), fc.boolean()), async ([d, gz]) => {
      const rows = ['id,text', ...d.map((x, i) => `${i},${csvField(x)}`)];
      const p = write('c.csv', rows.join('\n') + '\n', gz);
      assert.deepEqual(await readAll(p, 'csv', 'text'), d);
    }, { quick: 150 });
  });

  test('JSON Lines: the named field reads back the same', async () => {
    const field = fc.oneof(fc.constant('text'), fc.string({ minLength: 1, maxLength: 6 }));
    await fuzz('corpus jsonl round trip', fc.tuple(fc.array(text, { minLength: 1, maxLength: 8 }), field, fc.boolean()), async ([d, f, gz]) => {
      const p = write('j.jsonl', d.map((x, i) => JSON.stringify(Object.fromEntries([['n', i], [f, x]]))).join('\n') + '\n', gz);
      assert.deepEqual(await readAll(p, 'jsonl', f), d.filter((x) => x.length > 0));
    }, { quick: 150 });
  });

  test('plain lines: lines without line ends read back the same', async () => {
    const line = text.filter((s) => !/[\n]/.test(s) && !s.endsWith('\r'));
    const lines = fc.array(line, { minLength: 1, maxLength: 8 }).filter((d) => !d[0]!.startsWith('\ufeff')); // the file's first bytes: a BOM
    await fuzz('corpus lines round trip', fc.tuple(lines, fc.boolean()), async ([d, gz]) => {
      const p = write('l.txt', d.join('\n') + '\n', gz);
      assert.deepEqual(await readAll(p, 'lines'), d);
    }, { quick: 150 });
  });

  test('random bytes in every format end in documents or a DataError, never another error', async () => {
    const formats: [CorpusFormat, string | undefined][] = [['notebook', undefined], ['lines', undefined], ['csv', 'text'], ['jsonl', 'text']];
    const bytes = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 120 }),
      // Mostly text with stray quotes, commas, braces and line ends, so the parsers go deep.
      fc.array(fc.constantFrom('"', ',', '\n', '\r', '{', '}', ':', 'text', '"text"', 'a', '\\', '\xff', '\u00e9'), { minLength: 1, maxLength: 40 })
        .map((a) => new TextEncoder().encode(a.join(''))),
    );
    await fuzz('corpus random bytes', fc.tuple(bytes, fc.boolean()), async ([b, gz]) => {
      const p = write('rand.txt', b, gz);
      for (const [format, column] of formats) await typedOrValue(() => readAll(p, format, column));
      await typedOrValue(() => sniffReading(p));
    }, { quick: 200 });
  });

  test('damaged gzip streams end in documents or a DataError naming the file', async () => {
    const good = gzipSync(Array.from({ length: 50 }, (_, i) => `"document ${i}, with ""quotes"""`).join('\n') + '\n');
    await fuzz('corpus damaged gzip', fc.oneof(edits.map((e) => mutate(good, e)), fc.nat({ max: good.length - 1 }).map((k) => good.subarray(0, k + 1))), async (b) => {
      const p = join(dir, 'bad.txt.gz');
      writeFileSync(p, b);
      try {
        await readAll(p, 'notebook');
      } catch (err) {
        await typedOrValue(() => { throw err; });
        assert.match(String(err), /bad\.txt\.gz/, 'the error names the file');
      }
    }, { quick: 100 });
  });
});
