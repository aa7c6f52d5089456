/**
 * Compressed corpora and the choice of reading: .gz files in every format and in folders read as
 * their plain twins, streamed (documents arrive before a damaged tail is reached), bad .gz files
 * named; a .txt is read as the notebook's CSV-quoted lines only when it is CSV-quoted.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DataError, openCorpus, readDocuments, readLines, sniffReading, type Doc } from '../src/corpus/index.js';

const dir = mkdtempSync(join(tmpdir(), 'slm-gz-'));
function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
async function collect(it: AsyncIterable<Doc>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of it) out.push(d.text);
  return out;
}

const samples = {
  notebook: { name: 'nb.txt', text: '"a, b"\nbare line\n"say ""hi"", ok"\n"two\nlines, here"\n', column: undefined, want: ['a, b', 'bare line', 'say "hi", ok', 'two\nlines, here'] },
  lines: { name: 'plain.txt', text: '"kept" as is\nsecond\n\nthird\n', column: undefined, want: ['"kept" as is', 'second', 'third'] },
  csv: { name: 'c.csv', text: 'id,text\n1,"hello, ""world""\nagain"\n2,plain\n', column: 'text', want: ['hello, "world"\nagain', 'plain'] },
  jsonl: { name: 'j.jsonl', text: '{"text":"one"}\n\n{"text":"two é","x":1}\n', column: 'text', want: ['one', 'two é'] },
} as const;

describe('gzip corpora', () => {
  for (const [format, s] of Object.entries(samples)) {
    test(`${format}: a .gz file reads exactly as the plain file`, async () => {
      const plain = file(s.name, s.text);
      const gz = file(`${s.name}.gz`, gzipSync(s.text));
      const o = { format: format as keyof typeof samples, column: s.column };
      assert.deepEqual(await collect(readDocuments(gz, o)), s.want);
      assert.deepEqual(await collect(readDocuments(gz, o)), await collect(readDocuments(plain, o)));
    });
  }
  test('the format is guessed from the name under .gz (data.csv.gz is CSV)', async () => {
    const gz = file('guess.csv.gz', gzipSync(samples.csv.text));
    const c = await openCorpus({ input: gz, column: 'text', testFraction: 0 });
    assert.deepEqual(await collect(c.documents('train')), samples.csv.want);
  });
  test('a folder of train.txt.gz and test.txt.gz is a corpus; both .txt and .txt.gz is refused', async () => {
    const d = join(dir, 'folder');
    mkdirSync(d);
    writeFileSync(join(d, 'train.txt.gz'), gzipSync('"one, train"\n"two, train"\n'));
    writeFileSync(join(d, 'test.txt.gz'), gzipSync('"one, test"\n'));
    const c = await openCorpus({ input: d });
    assert.deepEqual(await collect(c.documents('train')), ['one, train', 'two, train']);
    assert.deepEqual(await collect(c.documents('test')), ['one, test']);
    assert.match(c.readings[0]!, /read train\.txt\.gz as the notebook's CSV-quoted lines \(2 lines of 2 CSV-quoted\)/);
    writeFileSync(join(d, 'test.txt'), 'plain\n');
    await assert.rejects(openCorpus({ input: d }), /holds both test\.txt and test\.txt\.gz/);
  });
  test('documents stream out before the end of a large .gz is inflated', async () => {
    // 40 MB of text whose gzip stream is cut: the first lines arrive, then the truncation is named.
    const big = Buffer.from('a line of text that repeats\n'.repeat(1_500_000));
    const gz = gzipSync(big);
    const p = file('cut.txt.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    let n = 0;
    await assert.rejects((async () => { for await (const _ of readLines(p)) n++; })(),
      (e: Error) => e instanceof DataError && /cut\.txt\.gz is truncated: its gzip stream ends before the end/.test(e.message));
    assert.ok(n > 100_000 && n < 1_500_000, `${n} lines arrived before the damaged tail`);
  });
  test('a .gz that is not gzip, an empty .gz and a truncated small .gz are DataErrors naming the file', async () => {
    const notGz = file('plain-named.txt.gz', 'just text\n');
    await assert.rejects(collect(readDocuments(notGz, { format: 'lines' })),
      (e: Error) => e instanceof DataError && /plain-named\.txt\.gz is not valid gzip data/.test(e.message) && /rename the file/.test((e as DataError).hint ?? ''));
    await assert.rejects(collect(readDocuments(file('empty.txt.gz', ''), { format: 'lines' })), /input file is empty: .*empty\.txt\.gz/);
    const whole = gzipSync('one\ntwo\nthree\n');
    const cut = file('short.csv.gz', whole.subarray(0, whole.length - 6));
    await assert.rejects(collect(readDocuments(cut, { format: 'lines' })), /short\.csv\.gz is truncated/);
    await assert.rejects(collect(readDocuments(file('bad.csv.gz', 'id,text\n'), { format: 'csv', column: 'text' })), /bad\.csv\.gz is not valid gzip data/);
  });
  test('the shipped sample reads 2,062 + 230 documents from its .gz files', async () => {
    const sample = new URL('../../corpora/pubmed-sample', import.meta.url).pathname;
    const c = await openCorpus({ input: sample });
    assert.equal((await collect(c.documents('train'))).length, 2062);
    const testDocs = await collect(c.documents('test'));
    assert.equal(testDocs.length, 230);
    assert.ok(testDocs.every((d) => !d.startsWith('"') && !d.includes('""')), 'CSV quoting is undone');
    assert.ok(readFileSync(join(sample, 'README.md'), 'utf8').includes('public domain'));
  });
});

describe('choosing a reading for a .txt', () => {
  test('a CSV-quoted file is read as the notebook format, and says so', async () => {
    const r = await sniffReading(file('quoted.txt', '"a, b"\nbare\n"c ""d"""\n'));
    assert.deepEqual(r, { format: 'notebook', reason: '2 lines of 3 CSV-quoted' });
  });
  test('prose whose line opens with a quotation is read as lines, naming the line', async () => {
    const p = file('prose.txt', 'It was late.\n"Go home," she said, and left.\nThe end.\n');
    const r = await sniffReading(p);
    assert.equal(r.format, 'lines');
    assert.match(r.reason, /line 2 has text after its closing quote/);
    const c = await openCorpus({ input: p, testFraction: 0 });
    assert.deepEqual(await collect(c.documents('train')), ['It was late.', '"Go home," she said, and left.', 'The end.']);
    assert.match(c.readings[0]!, /read prose\.txt as plain lines, one document per line \(line 2/);
    // An explicit --format is obeyed: the notebook reading fails on that line, naming it.
    const nb = await openCorpus({ input: p, format: 'notebook', testFraction: 0 });
    await assert.rejects(collect(nb.documents('train')), /line 2: text after the closing quote/);
  });
  test('a file without quotes is plain lines (both readings agree)', async () => {
    const r = await sniffReading(file('noquote.txt', 'one\ntwo\n'));
    assert.equal(r.format, 'lines');
    assert.match(r.reason, /no line starts with a double quote \(2 lines looked at\)/);
  });
  test('a quote opened on the last line and never closed means lines', async () => {
    const r = await sniffReading(file('open.txt', 'one\n"two, never closed\n'));
    assert.deepEqual(r.format, 'lines');
    assert.match(r.reason, /line 2 opens a quote that never closes/);
  });
});
