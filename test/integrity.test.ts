/**
 * Integrity (issue 16): the CRC-32s slmkit writes into checkpoints (safetensors __metadata__),
 * trainer.json and token stores turn a flipped byte into an error that names the file and the
 * part, at every command that reads it; files from before checksums (no CRC recorded) are still
 * read, unchecked; the pure-TypeScript CRC-32 equals zlib's.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { readStore, StoreWriter } from '../src/data/store.js';
import { crc32 as pureCrc32 } from '../src/formats/crc32.js';
import { decodeSafetensors, safetensorsBytes } from '../src/formats/safetensors.js';
import { crc32 } from '../src/io/checksum.js';
import { loadSafetensors } from '../src/io/safetensors.js';
import { Tensor } from '../src/tensor/tensor.js';
import { slm, trainArgs } from './helpers/crash.js';
import { fuzz, scratch } from './helpers/fuzz.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const work = scratch('integrity');

describe('CRC-32', () => {
  test('the pure-TypeScript CRC-32 equals zlib\'s, whole and continued', async () => {
    assert.equal(pureCrc32(new TextEncoder().encode('123456789')), 0xcbf43926, 'the standard check value');
    await fuzz('crc32 pure = zlib', fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 300 })), ([b, cut]) => {
      const k = Math.min(cut, b.length);
      assert.equal(pureCrc32(b), zlibCrc32(b) >>> 0);
      assert.equal(pureCrc32(b.subarray(k), pureCrc32(b.subarray(0, k))), pureCrc32(b), 'continued');
      assert.equal(crc32(b), pureCrc32(b));
    }, { quick: 200 });
  });
});

describe('damaged files are named, not used', () => {
  const tiny = makeTinyCorpus(40, 8);
  const store = join(work, 'store');
  const run = join(work, 'run');

  test('a flipped byte in a checkpoint: eval, generate and resume refuse it, naming the tensor', async () => {
    assert.equal((await slm(['prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--workers', '1'])).code, 0);
    const t = await slm(trainArgs(store, run, 6));
    assert.equal(t.code, 0, t.stderr);
    const bad = join(work, 'bad-run');
    cpSync(run, bad, { recursive: true });
    const model = readFileSync(join(bad, 'model.safetensors'));
    model[model.length - 5]! ^= 0x10; // inside the last tensor's data
    writeFileSync(join(bad, 'model.safetensors'), model);
    for (const args of [['eval', '--model', bad, '--data', store], ['generate', '--model', bad, '--prompt', 'the'], ['train', '--resume', bad]]) {
      const r = await slm(args);
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /model\.safetensors is damaged: tensor 't_logits\.\d\.weight' fails its CRC-32 check \([0-9a-f]{8}, recorded [0-9a-f]{8}\)/);
      assert.match(r.stderr, /hint: .*restore it from a copy/);
    }
    const opt = join(work, 'bad-opt');
    cpSync(run, opt, { recursive: true });
    const o = readFileSync(join(opt, 'optimizer.safetensors'));
    o[200]! ^= 0x01; // inside the header's JSON: a changed digit or letter
    writeFileSync(join(opt, 'optimizer.safetensors'), o);
    const r = await slm(['train', '--resume', opt]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /optimizer\.safetensors (is damaged|is not a valid safetensors file)/);
  });

  test('an edited or damaged trainer.json or config.json is refused on resume', async () => {
    const edited = join(work, 'edited');
    cpSync(run, edited, { recursive: true });
    const state = readFileSync(join(edited, 'trainer.json'), 'utf8');
    writeFileSync(join(edited, 'trainer.json'), state.replace(/"batchInEpoch": (\d+)/, (_, n: string) => `"batchInEpoch": ${Number(n) + 1}`));
    let r = await slm(['train', '--resume', edited]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /trainer\.json is damaged or was edited: its checksum does not match its content/);
    writeFileSync(join(edited, 'trainer.json'), state);
    const config = readFileSync(join(edited, 'config.json'), 'utf8');
    writeFileSync(join(edited, 'config.json'), config.replace('"lr": 0.02', '"lr": 0.03'));
    r = await slm(['train', '--resume', edited]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config\.json was changed after the run started \(CRC-32 [0-9a-f]{8}, recorded [0-9a-f]{8}\): edited or damaged/);
    assert.match(r.stderr, /hint: restore it from a copy \(training flags given to --resume override the config without editing it\)/);
  });

  test('a flipped byte in a token store is named by slm train, not trained on', async () => {
    const bad = join(work, 'bad-store');
    cpSync(store, bad, { recursive: true });
    const bin = readFileSync(join(bad, 'train.bin'));
    bin[80]! ^= 0x04;
    writeFileSync(join(bad, 'train.bin'), bin);
    const r = await slm(trainArgs(bad, join(work, 'never'), 2));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /train\.bin \(\d+ bytes, CRC-32 [0-9a-f]{8}\) is not the file manifest\.json records|train\.bin is damaged: its contents fail their CRC-32 check/);
    // The store file alone (no manifest to compare with) checks its own contents.
    assert.throws(() => readStore(join(bad, 'train.bin')), /train\.bin is damaged: its contents fail their CRC-32 check \([0-9a-f]{8}, recorded [0-9a-f]{8}\): a byte changed/);
  });

  test('older files without checksums are read, unchecked; a v2 store still gets its ids checked', () => {
    const t = { w: Tensor.from([[1, 2], [3, 4]]) };
    const plain = safetensorsBytes(t, { step: '1' }); // as slmkit wrote before checksums, and as other tools write
    assert.equal(decodeSafetensors(plain).checksums, 'absent');
    const p = join(work, 'old.safetensors');
    writeFileSync(p, plain);
    assert.deepEqual(loadSafetensors(p).tensors.w!.toArray(), [[1, 2], [3, 4]]);
    assert.equal(decodeSafetensors(safetensorsBytes(t, {}, { checksums: true })).checksums, 'verified');
    // A version 2 store: the same layout with no CRC-32s in the header.
    const v3 = join(work, 'v3.bin');
    const w = new StoreWriter(v3, 50);
    w.add([1, 2, 3], 5, 5);
    w.add([4, 49], 2, 2);
    w.finish();
    const b = readFileSync(v3);
    b.writeUInt32LE(2, 8);
    b.fill(0, 36, 44);
    const v2 = join(work, 'v2.bin');
    writeFileSync(v2, b);
    assert.deepEqual([...readStore(v2).ids], [1, 2, 3, 4, 49]);
    b.writeUInt16LE(50, 64 + 8); // id 49 → 50, outside the vocabulary: no checksum catches it, the id check does
    writeFileSync(v2, b);
    assert.throws(() => readStore(v2), /v2\.bin is damaged: token 4 has id 50, outside the vocabulary of 50/);
    copyFileSync(v3, join(work, 'v3-copy.bin'));
    assert.equal(readStore(join(work, 'v3-copy.bin')).ids.length, 5);
  });
});
