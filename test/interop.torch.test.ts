/**
 * The other side in PyTorch (where it is installed): an exported GPT-2 folder computes the same
 * logits and greedy tokens in scripts/ddp/model.py's GPT-2 as in slmkit; and the scale-out path end
 * to end — slm export --format llmc on the PubMed sample, scripts/ddp/train_gpt2.py under
 * `torchrun --standalone --nproc_per_node=2` (gloo, DistributedDataParallel, gradient
 * accumulation, checkpoints), slm import, slm eval — gives the script's own test loss within 1e-3,
 * and a run resumed from a checkpoint ends with the same weights as one that was not interrupted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadRun } from '../src/io/run.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Tensor } from '../src/tensor/tensor.js';
import { cliJson, cliRunner } from './helpers/cli.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scripts = join(root, 'scripts/ddp');
const { work, slm: run } = cliRunner('interop-torch');

/** A Python that imports torch (Debian's python3-torch lives under /usr/bin/python3), and torchrun. */
function findTorch(): { python: string; torchrun: string[] } | string {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch, torch.distributed.run'], { encoding: 'utf8' });
    if (r.status === 0) {
      const bin = spawnSync('torchrun', ['--help'], { encoding: 'utf8' }).status === 0;
      return { python: py, torchrun: bin ? ['torchrun'] : [py, '-m', 'torch.distributed.run'] };
    }
  }
  return 'PyTorch is not installed (/usr/bin/python3 -c "import torch" fails); .ci/run installs Debian\'s python3-torch';
}
const torch = findTorch();
if (typeof torch === 'string') console.log(`# skipping the PyTorch checks: ${torch}`);
const skip = typeof torch === 'string' ? torch : false;
const py = typeof torch === 'string' ? { python: '', torchrun: [] } : torch;

const slm = (...args: string[]) => cliJson(run(...args));

describe('PyTorch on the other side', { skip }, () => {
  test('an exported folder loads in a PyTorch GPT-2: same logits (1e-4) and greedy tokens', () => {
    const tiny = makeTinyCorpus(80, 16);
    const store = join(work, 'tiny');
    slm('prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--json');
    for (const head of [['--tie-weights'], ['--no-head-bias']]) {
      const run = join(work, `run${head[0]}`);
      slm('train', '--data', store, '--model', 'transformer', '--variant', 'pre-ln', ...head, '--embed-dim', '16', '--heads', '2', '--layers', '2',
        '--max-len', '32', '--max-steps', '30', '--batch-size', '8', '--lr', '0.01', '--dropout', '0', '--out', run, '--json');
      const hf = join(work, `hf${head[0]}`);
      slm('export', '--model', run, '--format', 'hf', '--out', hf, '--json');
      const r = loadRun(run);
      const ids = r.tokenizer.encode('a big red bird').ids.slice(0, -1);
      const out = spawnSync(py.python, [join(scripts, 'logits.py'), hf, ...ids.map(String), '--greedy', '20', '--eos', String(r.tokenizer.sepId)], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const theirs = JSON.parse(out.stdout) as { shape: number[]; logits: number[]; greedy: number[] };
      const ours = noGrad(() => r.model.forward(new Tensor(Int32Array.from(ids), [1, ids.length]))).f32();
      assert.deepEqual(theirs.shape, [ids.length, tiny.vocabSize]);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(theirs.logits[i]! - ours[i]!));
      assert.ok(worst < 1e-4, `${head[0]}: largest logit difference ${worst}`);
      const g = slm('generate', '--model', run, '--prompt', 'a big red bird', '--greedy', '--max-new-tokens', '20', '--json');
      assert.deepEqual(theirs.greedy, (g.samples as { ids: number[] }[])[0]!.ids.slice(ids.length), `${head[0]}: greedy tokens`);
    }
  });

  test('the script\'s reader takes both token formats as exported, and names the file of a bad shard or a mismatched tokenizer', () => {
    const tiny = makeTinyCorpus(30, 6);
    const store = join(work, 'tiny-tokens');
    slm('prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--json');
    const read = (dir: string) => spawnSync(py.python, ['-c', [
      'import json, sys', `sys.path.insert(0, ${JSON.stringify(scripts)})`, 'from data import TokenFolder',
      't = TokenFolder(sys.argv[1])',
      'print(json.dumps({"train": [int(x) for a in t.train for x in a], "val": [int(x) for a in t.val for x in a], "docs": len(t.val_documents(10**9)), "eot": t.eot_id}))',
    ].join('\n'), dir], { encoding: 'utf8' });
    const got: Record<string, { train: number[]; val: number[]; docs: number; eot: number }> = {};
    for (const format of ['nanogpt', 'llmc']) {
      const out = join(work, `tiny-${format}`);
      slm('export', '--data', store, '--format', format, '--shard-tokens', '100', '--out', out, '--json');
      const r = read(out);
      assert.equal(r.status, 0, r.stderr);
      got[format] = JSON.parse(r.stdout) as { train: number[]; val: number[]; docs: number; eot: number };
      assert.equal(got[format]!.docs, 6, `${format}: the val documents found again at each [SEP]`);
    }
    assert.deepEqual(got.llmc, got.nanogpt, 'the same ids through either format');
    const bad = join(work, 'tiny-llmc');
    const shard = join(bad, 'slm_train_000002.bin');
    writeFileSync(shard, readFileSync(shard).subarray(0, 1030));
    const t = read(bad);
    assert.notEqual(t.status, 0);
    assert.match(t.stderr, new RegExp(`${shard.replace(/[/.]/g, '\\$&')} is truncated or damaged: its header says \\d+ tokens`));
    const mismatch = join(work, 'tiny-nanogpt');
    const other = JSON.parse(readFileSync(join(mismatch, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
    other.model.vocab.extra = 37; // a tokenizer of 38 tokens beside files of 37
    writeFileSync(join(mismatch, 'tokenizer.json'), JSON.stringify(other));
    const m = read(mismatch);
    assert.notEqual(m.status, 0);
    assert.match(m.stderr, /tokenizer\.json has 38 tokens but the token files say vocab_size 37: the tokenizer does not match the token files/);
  });

  describe('the scale-out path: slm export → torchrun DDP → slm import → slm eval', () => {
    const store = join(work, 'pubmed');
    const shards = join(work, 'pubmed-llmc');
    const ddp = join(work, 'ddp');
    const args = ['--data', shards, '--n-layer', '2', '--n-embd', '32', '--n-head', '4', '--block-size', '64', '--batch-size', '4',
      '--grad-accum', '2', '--lr', '3e-3', '--steps', '6', '--checkpoint-every', '3', '--keep-checkpoints'];
    const torchrun = (out: string, ...more: string[]) => {
      const r = spawnSync(py.torchrun[0]!, [...py.torchrun.slice(1), '--standalone', '--nproc_per_node=2',
        // --redirects/--tee 1 (each rank's stdout to a log and the console) also sidestep a bug of torch 1.13's
        // torchrun under Python 3.11, where their default "0" parses to nothing.
        '--redirects', '1', '--tee', '1', join(scripts, 'train_gpt2.py'), ...args, '--out', out, ...more],
      { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
      assert.equal(r.status, 0, `torchrun: ${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    before(() => {
      slm('prepare', '--input', join(root, 'corpora/pubmed-sample'), '--out', store, '--json');
      slm('export', '--data', store, '--format', 'llmc', '--shard-tokens', '200000', '--name', 'pubmed', '--out', shards, '--json');
    });

    test('two gloo ranks train; slmkit scores the imported model as the script did (1e-3)', () => {
      const log = torchrun(ddp);
      assert.match(log, /2 ranks \(gloo\)/);
      assert.match(log, /step 6 loss/);
      const own = JSON.parse(readFileSync(join(ddp, 'eval.json'), 'utf8')) as { val_loss: number; val_tokens: number; val_documents: number };
      assert.equal(own.val_documents, 230, 'every document of the sample\'s test split');
      slm('import', join(ddp, 'model'), '--out', join(work, 'imported'), '--json');
      const e = slm('eval', '--model', join(work, 'imported'), '--data', store, '--json');
      assert.equal(e.tokens, own.val_tokens, 'the same targets');
      assert.ok(Math.abs((e.loss as number) - own.val_loss) < 1e-3, `slm eval ${e.loss} vs the script's ${own.val_loss}`);
      assert.ok(own.val_loss < Math.log(28996), 'six steps already beat the uniform guess');
      console.log(`# DDP test: script val loss ${own.val_loss.toFixed(6)}, slm eval ${(e.loss as number).toFixed(6)} over ${own.val_tokens} tokens`);
    });

    test('a run resumed from its step-3 checkpoint ends with the same weights', () => {
      const ckpt = join(ddp, 'checkpoint-000003.pt');
      assert.ok(existsSync(ckpt));
      const resumed = join(work, 'ddp-resumed');
      const log = torchrun(resumed, '--resume', ckpt, '--eval-docs', '8');
      assert.match(log, /resumed from .*checkpoint-000003\.pt at step 3/);
      assert.deepEqual(readFileSync(join(resumed, 'model', 'model.safetensors')), readFileSync(join(ddp, 'model', 'model.safetensors')));
    });
  });
});
