/**
 * A newcomer's first hour, as CLI runs: the built-in corpus, raw text with --format on every
 * command that reads a corpus, stores that are not replaced silently, nearly-right paths, raw text
 * scored with the run's own tokenizer, samples that end with their document, loss.svg after
 * training, and the note when a trained vocabulary comes out smaller than asked.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildNgramModel, resolveNgramConfig } from '../src/ngram/index.js';
import { completeText, generate } from '../src/sample/prompt.js';
import { Rng } from '../src/tensor/rng.js';
import { trainByteLevelBpe } from '../src/tokenizer/train/index.js';
import { StoreWriter, readStore } from '../src/data/store.js';
import { cliJson, cliRunner } from './helpers/cli.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const { work, slm } = cliRunner('newcomer');
const tiny = makeTinyCorpus(60, 12);

const json = cliJson;
function fails(r: { code: number; stderr: string }, re: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, re);
}

// Prose whose second line opens with a quotation: not CSV, and the notebook reading fails on it.
const proseLines = Array.from({ length: 40 }, (_, i) => (i % 7 === 1 ? `"Go home," she said to cat ${i}.` : `the cat sat on the mat ${i} times.`));
const prose = join(work, 'prose.txt');
writeFileSync(prose, `${proseLines.join('\n')}\n`);

describe('the built-in corpus', () => {
  test('slm run with no corpus says so first, trains on the shipped sample and leaves loss.svg', () => {
    const out = join(work, 'quick');
    const r = slm('run', '--minutes', '0.01', '--eval-docs', '3', '--samples', '1', '--batch-size', '2', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0]!, /^no corpus given: running on the PubMed sample that ships with slmkit \(2,292 abstracts, .*corpora\/pubmed-sample\)/);
    assert.match(r.stdout, /read train\.txt\.gz as the notebook's CSV-quoted lines/);
    assert.match(r.stdout, /train 2,062 documents/);
    assert.match(r.stdout, new RegExp(`loss curve: ${out}/loss\\.svg`));
    assert.match(readFileSync(join(out, 'loss.svg'), 'utf8'), /<g class="series" data-run="quick"/);
  });
});

describe('raw text and --format', () => {
  test('a .txt that is not CSV-quoted is read as lines, and prepare says which reading it chose', () => {
    const r = slm('prepare', '--input', prose, '--tokenizer', 'char', '--out', join(work, 'prose-store'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /read prose\.txt as plain lines, one document per line \(line 2 has text after its closing quote/);
    const forced = slm('prepare', '--input', prose, '--format', 'notebook', '--tokenizer', 'char', '--out', join(work, 'prose-nb'));
    fails(forced, /line 2: text after the closing quote[\s\S]*hint: .*use --format lines/);
  });
  test('run, train, eval, compare and tokenize take --format and --column, and say so in --help', () => {
    for (const cmd of ['run', 'train', 'eval', 'compare', 'tokenize', 'prepare']) {
      const h = slm(cmd, '--help');
      assert.match(h.stdout, /--format <format>/, cmd);
      assert.match(h.stdout, /--column <name>/, cmd);
    }
    const csv = join(work, 'docs.csv');
    writeFileSync(csv, `id,body\n${proseLines.map((l, i) => `${i},"${l.replace(/"/g, '""')}"`).join('\n')}\n`);
    const run = join(work, 'csv-run');
    json(slm('train', '--data', csv, '--column', 'body', '--model', 'lowrank', '--embed-dim', '4', '--max-steps', '2', '--out', run, '--json'));
    const e = json<{ loss: number }>(slm('eval', '--model', run, '--data', csv, '--column', 'body', '--json'));
    assert.ok(Number.isFinite(e.loss));
    const c = json<{ rows: unknown[] }>(slm('compare', run, '--data', csv, '--format', 'csv', '--column', 'body', '--json'));
    assert.equal(c.rows.length, 1);
    fails(slm('train', '--data', csv, '--model', 'lowrank', '--out', join(work, 'csv-run-2')), /format csv needs the name of the column[\s\S]*pass --column NAME/);
    const quick = json<{ steps: number }>(slm('run', prose, '--format', 'lines', '--minutes', '0.01', '--eval-docs', '2', '--samples', '1', '--batch-size', '2',
      '--out', join(work, 'prose-run'), '--json'));
    assert.ok(quick.steps >= 1);
  });
  test('tokenize --input reads the formats prepare reads, .gz included', () => {
    const nb = join(work, 'nb.txt.gz');
    writeFileSync(nb, gzipSync('"the cat, the dog"\n"a ""big"" sun"\n'));
    const r = slm('tokenize', '--tokenizer', tiny.vocabPath, '--lowercase', '--input', nb, '--json');
    assert.equal(r.code, 0, r.stderr);
    const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { text: string });
    assert.deepEqual(docs.map((d) => d.text), ['the cat, the dog', 'a "big" sun'], 'CSV quotes are undone, not tokenized');
    assert.match(r.stderr, /read .*nb\.txt\.gz as the notebook's CSV-quoted lines/);
    const j = join(work, 'd.jsonl');
    writeFileSync(j, '{"t":"the cat"}\n');
    const jr = slm('tokenize', '--tokenizer', tiny.vocabPath, '--lowercase', '--input', j, '--column', 't', '--json');
    assert.equal((JSON.parse(jr.stdout) as { text: string }).text, 'the cat');
  });
});

describe('stores, runs and nearly-right paths', () => {
  const store = join(work, 'store-bpe');
  const run = join(work, 'run-bpe');
  test('a store prepared with other options is not replaced without --force, and is left as it was', () => {
    json(slm('prepare', '--input', tiny.dir, '--tokenizer', 'bpe:300', '--out', store, '--json'));
    json(slm('train', '--data', store, '--model', 'lowrank', '--embed-dim', '4', '--max-steps', '2', '--out', run, '--json'));
    const before = readFileSync(join(store, 'manifest.json'), 'utf8');
    fails(slm('prepare', '--input', tiny.dir, '--tokenizer', 'char', '--out', store),
      /store-bpe already holds a token store prepared with other options or inputs \(tokenizer bpe:300 lowercase=false, max tokens 512, from .*train\.txt/);
    assert.equal(readFileSync(join(store, 'manifest.json'), 'utf8'), before);
    const forced = slm('prepare', '--input', tiny.dir, '--tokenizer', 'char', '--out', join(work, 'store-bpe'), '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /replaced the store that was prepared with tokenizer bpe:300/);
    // The run no longer fits the store: the message says why and how to get the right one back.
    for (const args of [['eval', '--model', run, '--data', store], ['compare', run, '--data', store], ['train', '--resume', run, '--data', store, '--max-steps', '3']]) {
      fails(slm(...args), /store-bpe was prepared with another tokenizer than the run .*run-bpe was trained with \(the data's has \d+ tokens, the run's \d+\)[\s\S]*hint: the run keeps its tokenizer: prepare the text again with it, slm prepare --input .* --tokenizer .*run-bpe\/tokenizer\.json --out NEW_DIR/);
    }
  });
  test('slm eval on raw text tokenizes it with the run\'s own tokenizer', () => {
    const store2 = join(work, 'store-bpe-2');
    json(slm('prepare', '--input', tiny.dir, '--tokenizer', 'bpe:300', '--out', store2, '--json'));
    const run2 = join(work, 'run-bpe-2');
    json(slm('train', '--data', store2, '--model', 'lowrank', '--embed-dim', '4', '--max-steps', '2', '--out', run2, '--json'));
    const onStore = json<{ loss: number; tokens: number; bitsPerByte: number }>(slm('eval', '--model', run2, '--data', store2, '--json'));
    const raw = slm('eval', '--model', run2, '--data', tiny.dir, '--json');
    const onRaw = json<{ loss: number; tokens: number; bitsPerByte: number }>(raw);
    assert.match(raw.stderr, /with the tokenizer of .*run-bpe-2/);
    assert.equal(onRaw.tokens, onStore.tokens);
    assert.ok(Math.abs(onRaw.loss - onStore.loss) < 1e-6);
    assert.ok(onRaw.bitsPerByte > 0 && Math.abs(onRaw.bitsPerByte - onStore.bitsPerByte) < 1e-9);
    const text = slm('eval', '--model', run2, '--data', store2);
    assert.match(text.stdout, /\d\.\d{4} bits\/byte, \d\.\d{4} bits\/character of the text \(comparable across tokenizers\)/);
  });
  test('files inside stores and runs, and a store given as a model, are named for what they are', () => {
    const store2 = join(work, 'store-bpe-2');
    const run2 = join(work, 'run-bpe-2');
    fails(slm('train', '--data', join(store2, 'train.bin'), '--model', 'lowrank', '--out', join(work, 'x')),
      /store-bpe-2\/train\.bin is a file inside the token store .*store-bpe-2[\s\S]*hint: pass the folder: --data .*store-bpe-2/);
    fails(slm('eval', '--model', run2, '--data', join(store2, 'manifest.json')), /is a file inside the token store/);
    fails(slm('eval', '--model', run2, '--data', run2), /run-bpe-2 is a run folder \(a trained model\), not data/);
    fails(slm('generate', '--model', join(run2, 'model.safetensors'), '--prompt', 'the'),
      /model\.safetensors is a file inside the run folder .*run-bpe-2[\s\S]*hint: pass the folder: --model .*run-bpe-2/);
    fails(slm('generate', '--model', store2, '--prompt', 'the'), /store-bpe-2 is a token store from slm prepare \(data\), not a run folder[\s\S]*pass it as --data/);
    fails(slm('eval', '--model', store2, '--data', store2), /is a token store from slm prepare \(data\), not a run folder/);
  });
  test('a trained vocabulary smaller than asked gets a note', () => {
    const r = slm('prepare', '--input', tiny.dir, '--tokenizer', 'bpe:2000', '--out', join(work, 'store-big-bpe'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /note: the vocabulary has [\d,]+ tokens, fewer than the 2,000 asked for: the training split has no more word pieces frequent enough to merge/);
    const ok = slm('prepare', '--input', tiny.dir, '--tokenizer', 'bpe:300', '--out', join(work, 'store-small-bpe'));
    assert.doesNotMatch(ok.stdout, /note: the vocabulary/);
  });
  test('slm train leaves loss.svg in the run folder', () => {
    const run3 = join(work, 'run-plot');
    const r = slm('train', '--data', tiny.dir, '--model', 'lowrank', '--embed-dim', '4', '--batch-size', '8', '--max-steps', '4', '--out', run3);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /loss curve: .*run-plot\/loss\.svg/);
    assert.equal((readFileSync(join(run3, 'loss.svg'), 'utf8').match(/class="test-point"/g) ?? []).length, 1);
  });
});

describe('samples', () => {
  test('a sample ends with its document by default; --past-end draws on as the notebook does', () => {
    const store = join(work, 'store-char');
    json(slm('prepare', '--input', tiny.dir, '--tokenizer', 'char', '--out', store, '--json'));
    const run = join(work, 'run-char-ngram');
    json(slm('train', '--data', store, '--model', 'ngram', '--order', '2', '--out', run, '--json'));
    const end = (JSON.parse(readFileSync(join(run, 'tokenizer.json'), 'utf8')) as { added_tokens: { id: number; content: string }[] })
      .added_tokens.find((t) => t.content === '</s>')!.id;
    // One sample per call: later samples of a call share its generator, so their draws shift.
    const draw = (seed: number, ...extra: string[]) => json<{ samples: { ids: number[] }[] }>(slm('generate', '--model', run, '--prompt', 'the',
      '--max-new-tokens', '300', '--seed', String(seed), '--json', ...extra)).samples[0]!;
    const stopped = [1, 2, 3].map((seed) => draw(seed));
    const past = [1, 2, 3].map((seed) => draw(seed, '--past-end'));
    let ended = 0;
    stopped.forEach((s, i) => {
      const at = s.ids.indexOf(end);
      if (at >= 0) {
        ended++;
        assert.equal(at, s.ids.length - 1, 'nothing is drawn after the end token');
      }
      const p = past[i]!.ids;
      assert.deepEqual(p.slice(0, s.ids.length), s.ids, 'the same draws up to the end of the document');
    });
    assert.ok(ended > 0, 'some sample reached the end of its document');
    assert.ok(past.some((p) => p.ids.includes(end) && p.ids.indexOf(end) < p.ids.length - 1), 'with --past-end a sample runs on past the end token');
  });
  test('streamed text never shows half a UTF-8 character (byte-level BPE)', async () => {
    const docs = ['café über naïve 😀 ümlaut', 'ångström 🎉 résumé ζωή', '漢字 テスト 😀 ok'];
    const tok = await trainByteLevelBpe((async function* () { for (let k = 0; k < 20; k++) yield* docs; })(), { vocabSize: 262 });
    const path = join(work, 'bpe-docs.bin');
    const w = new StoreWriter(path, tok.vocabSize);
    for (let k = 0; k < 20; k++) for (const d of docs) w.add(tok.encode(d).ids);
    w.finish();
    const { model } = buildNgramModel(readStore(path), resolveNgramConfig({ type: 'ngram', vocabSize: tok.vocabSize, order: 3, smoothing: 'kn' }));
    let partial = 0;
    for (let seed = 0; seed < 5; seed++) {
      let shown = 'café';
      const ids: number[] = [];
      for await (const t of generate(model, tok, 'café', { maxNewTokens: 60, rng: new Rng(seed) })) {
        ids.push(t.id);
        assert.ok(!t.text.endsWith('\ufffd'), `seed ${seed}: ${JSON.stringify(t.text)}`);
        assert.ok(t.text.startsWith(shown), 'text only grows');
        assert.equal(t.delta, t.text.slice(shown.length));
        shown = t.text;
        if (tok.decode([...tok.encode('café').ids.slice(0, -1), ...ids]).endsWith('\ufffd')) partial++;
      }
    }
    assert.ok(partial > 0, 'some token ended inside a character, so the test saw the case');
    assert.equal(completeText('ab\ufffd\ufffd'), 'ab');
  });
});

test('the built-in corpus folder holds only its gzipped splits and README', () => {
  const sample = fileURLToPath(new URL('../../corpora/pubmed-sample', import.meta.url));
  for (const f of ['train.txt.gz', 'test.txt.gz', 'README.md']) assert.ok(existsSync(join(sample, f)), f);
});
