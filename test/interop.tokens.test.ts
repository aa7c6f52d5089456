/**
 * Token files for other trainers: nanoGPT's train.bin/val.bin/meta.pkl and llm.c's shards hold
 * exactly the store's documents joined with the end-of-document id, read back to the same ids
 * (and by Python where it is installed); bad shards, too-large vocabularies, wrong formats and
 * existing folders fail with messages naming the file and the problem, leaving nothing half-written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadStore, type OpenedData } from '../src/data/open.js';
import { documentIds, numDocuments } from '../src/data/split.js';
import { encodeLlmcShard, LLMC_MAGIC, readLlmcShard } from '../src/interop/llmc.js';
import { readNanogptBin } from '../src/interop/nanogpt.js';
import { exportTokens, joinDocuments, splitDocuments, type TokenMeta } from '../src/interop/tokens.js';
import { ConfigError, DataError } from '../src/tensor/errors.js';
import type { Tokenizer } from '../src/tokenizer/types.js';
import { cliRunner } from './helpers/cli.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const { work, slm } = cliRunner('interop-tok');
const tiny = makeTinyCorpus(60, 12);

const python = spawnSync('python3', ['-c', 'import pickle'], { encoding: 'utf8' }).status === 0;

/** The store's documents, each as the exported stream must hold it. */
function expectedStream(s: OpenedData['train'], end: number): number[] {
  const out: number[] = [];
  for (let d = 0; d < numDocuments(s); d++) {
    const doc = [...documentIds(s, d)];
    out.push(...doc);
    if (doc[doc.length - 1] !== end) out.push(end);
  }
  return out;
}

describe('token files for nanoGPT and llm.c', () => {
  const store = join(work, 'store');
  let data: OpenedData;
  before(() => {
    const r = slm('prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--json');
    assert.equal(r.code, 0, r.stderr);
    data = loadStore(store);
  });

  test('nanoGPT: train.bin and val.bin are the documents joined with [SEP]; meta.pkl holds vocab_size', () => {
    const out = join(work, 'nanogpt');
    const r = slm('export', '--data', store, '--format', 'nanogpt', '--out', out, '--json');
    assert.equal(r.code, 0, r.stderr);
    const sep = data.tokenizer.sepId!;
    assert.deepEqual([...readNanogptBin(join(out, 'train.bin'))], expectedStream(data.train, sep));
    assert.deepEqual([...readNanogptBin(join(out, 'val.bin'))], expectedStream(data.test, sep));
    // Bare uint16 little-endian: 2 bytes per id, no header.
    assert.equal(readFileSync(join(out, 'val.bin')).length, 2 * expectedStream(data.test, sep).length);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as TokenMeta;
    assert.equal(meta.vocab_size, tiny.vocabSize);
    assert.equal(meta.eot_id, sep);
    assert.equal(meta.train.documents, 60);
    assert.equal(meta.val.documents, 12);
    assert.equal(readFileSync(join(out, 'tokenizer.json'), 'utf8'), readFileSync(join(store, 'tokenizer.json'), 'utf8'));
    // Every document comes back whole when the stream is cut after each [SEP].
    const docs = splitDocuments(readNanogptBin(join(out, 'train.bin')), sep);
    assert.equal(docs.length, 60);
    for (let d = 0; d < 60; d++) assert.deepEqual([...docs[d]!], [...documentIds(data.train, d)]);
  });

  test('nanoGPT: Python reads meta.pkl as {vocab_size, eot_id}', { skip: python ? false : 'python3 is not installed' }, () => {
    const py = spawnSync('python3', ['-c', 'import json, pickle, sys; print(json.dumps(pickle.load(open(sys.argv[1], "rb"))))',
      join(work, 'nanogpt', 'meta.pkl')], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    assert.deepEqual(JSON.parse(py.stdout), { vocab_size: tiny.vocabSize, eot_id: data.tokenizer.sepId });
  });

  test('llm.c: 256-int32 header (magic, version 1, count), val shard 000000, train shards from 000001 of --shard-tokens', () => {
    const out = join(work, 'llmc');
    const r = slm('export', '--data', store, '--format', 'llmc', '--shard-tokens', '300', '--name', 'tiny', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /tokens\/s/);
    const sep = data.tokenizer.sepId!;
    const train = expectedStream(data.train, sep);
    const files = readdirSync(out).filter((f) => f.endsWith('.bin')).sort();
    const shards = Math.ceil(train.length / 300);
    assert.deepEqual(files, ['tiny_val_000000.bin', ...Array.from({ length: shards }, (_, i) => `tiny_train_${String(i + 1).padStart(6, '0')}.bin`)].sort());
    const bytes = readFileSync(join(out, 'tiny_train_000001.bin'));
    const head = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    assert.deepEqual([head.getInt32(0, true), head.getInt32(4, true), head.getInt32(8, true), head.getInt32(12, true)], [LLMC_MAGIC, 1, 300, 0]);
    const joined = files.filter((f) => f.includes('_train_')).flatMap((f) => [...readLlmcShard(join(out, f))]);
    assert.deepEqual(joined, train, 'the train shards in order are the train split, documents continuing across shards');
    assert.deepEqual([...readLlmcShard(join(out, 'tiny_val_000000.bin'))], expectedStream(data.test, sep));
  });

  test('a truncated shard, a wrong magic and another version are refused, naming the file', () => {
    const good = encodeLlmcShard(Uint16Array.of(5, 6, 7, 8));
    const p = join(work, 'bad_train_000001.bin');
    writeFileSync(p, good);
    truncateSync(p, good.length - 2);
    assert.throws(() => readLlmcShard(p), (e: unknown) => e instanceof DataError && e.message.includes(p) && /truncated: its header says 4 tokens/.test(e.message));
    const wrong = good.slice();
    new DataView(wrong.buffer).setInt32(0, 20240801, true);
    writeFileSync(p, wrong);
    assert.throws(() => readLlmcShard(p), (e: unknown) => e instanceof DataError && e.message.includes(p) && /magic 20240801, expected 20240520/.test(e.message));
    const v2 = good.slice();
    new DataView(v2.buffer).setInt32(4, 2, true);
    writeFileSync(p, v2);
    assert.throws(() => readLlmcShard(p), /version 2/);
    writeFileSync(p, good.subarray(0, 8));
    assert.throws(() => readLlmcShard(p), /truncated: 8 bytes, shorter than llm.c's 1024-byte header/);
    const odd = join(work, 'odd.bin');
    writeFileSync(odd, Uint8Array.of(1, 2, 3));
    assert.throws(() => readNanogptBin(odd), /odd number: uint16 token files hold 2 bytes per id/);
  });

  test('documents without the end id get one; a vocabulary past uint16 is refused, never truncated', async () => {
    const split = { ids: Uint16Array.of(1, 5, 2, 1, 6), offsets: Float64Array.of(0, 3, 5), vocabSize: 10 };
    assert.deepEqual([...joinDocuments(split, 2)], [1, 5, 2, 1, 6, 2]);
    const big = { ...data, tokenizer: { ...data.tokenizer, vocabSize: 70_000, sepId: 2, eosId: 2 } as unknown as Tokenizer };
    const out = join(work, 'too-big');
    await assert.rejects(exportTokens(big, { format: 'llmc', out }), (e: unknown) => e instanceof ConfigError && /70,000 ids \(largest 69999\)/.test(e.message) && /uint16/.test(e.message));
    assert.ok(!existsSync(out), 'nothing written');
    const fits = { ...data, tokenizer: { ...data.tokenizer, vocabSize: 65_536 } as unknown as Tokenizer };
    await assert.rejects(exportTokens(fits, { format: 'nanogpt', out }), /written for a vocabulary of 37/); // 65,536 passes the uint16 check; the store then disagrees
  });

  test('bad requests: a model format for a store, a store format for a run, an existing folder, a failed export leaves nothing', () => {
    const hf = slm('export', '--data', store, '--format', 'hf', '--out', join(work, 'x'));
    assert.equal(hf.code, 1);
    assert.match(hf.stderr, /--format hf exports a model: pass --model RUN_DIR/);
    const both = slm('export', '--format', 'llmc', '--out', join(work, 'x'));
    assert.match(both.stderr, /exactly one of --data STORE .* or --model RUN_DIR/);
    const again = slm('export', '--data', store, '--format', 'nanogpt', '--out', join(work, 'nanogpt'));
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists[\s\S]*--force/);
    const before = readFileSync(join(work, 'nanogpt', 'train.bin'));
    const badName = slm('export', '--data', store, '--format', 'llmc', '--name', 'a/b', '--out', join(work, 'nanogpt'), '--force');
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /shard name "a\/b"/);
    assert.deepEqual(readFileSync(join(work, 'nanogpt', 'train.bin')), before, 'the old folder is untouched');
    assert.deepEqual(readdirSync(work).filter((f) => f.includes('.tmp-')), [], 'no temporary folder left behind');
  });
});
