/** Corpus readers and the seeded split, on small files written by the test and on the PubMed data. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataError, openCorpus, readDocuments, testMembership, type Doc } from '../src/corpus/index.js';

const dir = mkdtempSync(join(tmpdir(), 'slm-corpus-'));
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

describe('notebook format', () => {
  test('quoted lines unescape, bare lines stay whole, quoted newlines join', async () => {
    const p = file('nb.txt', '"a, b"\nbare line without comma\n"say ""hi"", ok"\n"two\nlines, here"\r\n\n');
    assert.deepEqual(await collect(readDocuments(p, { format: 'notebook' })),
      ['a, b', 'bare line without comma', 'say "hi", ok', 'two\nlines, here']);
  });
  test('the notebook\'s strip-first-and-last loader would mangle bare lines; ours does not', async () => {
    const p = file('bare.txt', 'Plain title. Plain abstract\n');
    assert.deepEqual(await collect(readDocuments(p, { format: 'notebook' })), ['Plain title. Plain abstract']);
  });
  test('an unclosed quote is an error naming the line', async () => {
    const p = file('open.txt', 'ok\n"never closed\nstill open\n');
    await assert.rejects(collect(readDocuments(p, { format: 'notebook' })), (e: Error) =>
      e instanceof DataError && /line 2/.test(String(e)) && /--format lines/.test(String(e)));
  });
  test('text after a closing quote is an error', async () => {
    const p = file('after.txt', '"quoted" tail\n');
    await assert.rejects(collect(readDocuments(p, { format: 'notebook' })), /line 1: text after the closing quote/);
  });
});

describe('other formats', () => {
  test('plain lines keep quotes', async () => {
    const p = file('plain.txt', '"kept"\nsecond\n');
    assert.deepEqual(await collect(readDocuments(p, { format: 'lines' })), ['"kept"', 'second']);
  });
  test('CSV column with quoted newlines; a missing column lists the columns', async () => {
    const p = file('c.csv', 'id,text\n1,"hello, ""world""\nagain"\n2,plain\n');
    assert.deepEqual(await collect(readDocuments(p, { format: 'csv', column: 'text' })), ['hello, "world"\nagain', 'plain']);
    await assert.rejects(collect(readDocuments(p, { format: 'csv', column: 'body' })), /no column 'body'[\s\S]*id, text/);
  });
  test('JSONL field; bad JSON and missing fields name the line', async () => {
    const p = file('j.jsonl', '{"text":"one"}\n\n{"text":"two","x":1}\n');
    assert.deepEqual(await collect(readDocuments(p, { format: 'jsonl', column: 'text' })), ['one', 'two']);
    const bad = file('bad.jsonl', '{"text":"one"}\n{oops\n');
    await assert.rejects(collect(readDocuments(bad, { format: 'jsonl', column: 'text' })), /line 2: not valid JSON/);
    await assert.rejects(collect(readDocuments(p, { format: 'jsonl', column: 'body' })), /line 1: no field 'body'[\s\S]*text/);
  });
  test('missing file, empty file and invalid UTF-8 give clear errors', async () => {
    await assert.rejects(collect(readDocuments(join(dir, 'nope.txt'), { format: 'lines' })), /not found/);
    await assert.rejects(collect(readDocuments(file('empty.txt', ''), { format: 'lines' })), /empty/);
    const p = file('latin1.txt', Buffer.from([0x6f, 0x6b, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]));
    await assert.rejects(collect(readDocuments(p, { format: 'lines' })), /invalid UTF-8 .* line 2, byte 6/);
  });
});

describe('split', () => {
  test('a single file splits by a seeded shuffle: disjoint, complete, reproducible', async () => {
    const docs = Array.from({ length: 200 }, (_, i) => `doc ${i}`);
    const p = file('all.txt', docs.join('\n') + '\n');
    const c = await openCorpus({ input: p, format: 'lines', testFraction: 0.1, seed: 7 });
    const train = await collect(c.documents('train'));
    const testDocs = await collect(c.documents('test'));
    assert.equal(testDocs.length, 20);
    assert.equal(train.length, 180);
    assert.deepEqual([...train, ...testDocs].sort(), [...docs].sort());
    const again = await openCorpus({ input: p, format: 'lines', testFraction: 0.1, seed: 7 });
    assert.deepEqual(await collect(again.documents('test')), testDocs);
    const other = await openCorpus({ input: p, format: 'lines', testFraction: 0.1, seed: 8 });
    assert.notDeepEqual(await collect(other.documents('test')), testDocs);
  });
  test('membership picks exactly round(n * fraction)', () => {
    for (const [n, f] of [[1, 0.1], [10, 0.1], [999, 0.25], [5, 0]] as const) {
      const m = testMembership(n, f, 42);
      assert.equal(m.reduce((a, b) => a + b, 0), Math.round(n * f));
    }
  });
  test('a folder needs train.txt and test.txt', async () => {
    await assert.rejects(openCorpus({ input: dir, format: 'dir' }), /has no train.txt/);
  });
  // The full PubMed folder where it sits beside the checkout; the shipped sample (same format, gzipped) always.
  const pubmed = fileURLToPath(new URL('../../../shared/data/pubmed', import.meta.url));
  const sample = fileURLToPath(new URL('../../corpora/pubmed-sample', import.meta.url));
  for (const [name, path, train, held] of [['the PubMed folder', pubmed, 22398, 2489], ['the shipped PubMed sample', sample, 2062, 230]] as const) {
    if (!existsSync(path)) continue;
    test(`${name} reads ${train.toLocaleString('en-US')} + ${held.toLocaleString('en-US')} documents, none with stray outer quotes from CSV`, async () => {
      const c = await openCorpus({ input: path });
      let n = 0;
      for await (const _ of c.documents('train')) n++;
      assert.equal(n, train);
      const testDocs = await collect(c.documents('test'));
      assert.equal(testDocs.length, held);
      assert.ok(testDocs.every((d) => !d.includes('""')), 'doubled quotes must be unescaped');
    });
  }
});
