/**
 * `slm compare`: several runs (neural and counted) scored on one split agree with `slm eval` run
 * by run, carry what training recorded (steps, time, peak memory), draw one sample each, and a
 * run from another tokenizer or a folder that is not a run is refused with a clear message.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cliJson, cliRunner } from './helpers/cli.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const { work, slm } = cliRunner('compare');
const tiny = makeTinyCorpus(60, 12);

const json = cliJson;
interface Row {
  run: string; model: string; parameters: number; parameterKind: string; steps: number | null; trainSeconds: number | null;
  peakRssBytes: number | null; loss: number; perplexity: number; bitsPerToken: number; tokens: number; sample?: string;
}

describe('slm compare', () => {
  const store = join(work, 'store');
  const runs = { lowrank: join(work, 'lowrank'), transformer: join(work, 'transformer'), ngram: join(work, 'ngram') };

  test('scores every run on the same split, as slm eval does one by one', () => {
    const V = json<{ vocabSize: number }>(slm('prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--json')).vocabSize;
    json(slm('train', '--data', store, '--model', 'lowrank', '--embed-dim', '8', '--batch-size', '8', '--max-steps', '6', '--lr', '0.02', '--out', runs.lowrank, '--json'));
    json(slm('train', '--data', store, '--model', 'transformer', '--embed-dim', '8', '--heads', '2', '--layers', '1', '--max-len', '64',
      '--batch-size', '8', '--max-steps', '3', '--out', runs.transformer, '--json'));
    json(slm('train', '--data', store, '--model', 'ngram', '--order', '2', '--out', runs.ngram, '--json'));

    const out = json<{ split: string; rows: Row[] }>(slm('compare', runs.lowrank, runs.transformer, runs.ngram, '--data', store,
      '--prompt', 'the cat', '--max-new-tokens', '4', '--json'));
    assert.equal(out.split, 'test');
    assert.deepEqual(out.rows.map((r) => r.run), ['lowrank', 'transformer', 'ngram']);
    assert.deepEqual(out.rows.map((r) => r.model), ['lowrank d8', 'transformer post-ln 1×8', 'ngram 2 kn']);
    const tokens = out.rows[0]!.tokens;
    for (const [i, dir] of [runs.lowrank, runs.transformer, runs.ngram].entries()) {
      const row = out.rows[i]!;
      const e = json<{ loss: number; tokens: number }>(slm('eval', '--model', dir, '--data', store, '--json'));
      assert.ok(Math.abs(row.loss - e.loss) < 1e-6, `${row.run}: compare ${row.loss} vs eval ${e.loss}`);
      assert.equal(row.tokens, tokens, 'every run is scored on the same tokens');
      assert.ok(Math.abs(row.bitsPerToken - row.loss / Math.LN2) < 1e-9);
      assert.ok(Math.abs(row.perplexity - Math.exp(row.loss)) < 1e-6 * row.perplexity);
      assert.ok(row.peakRssBytes !== null && row.peakRssBytes > 10e6, `${row.run} recorded its peak memory`);
      assert.ok(row.trainSeconds !== null && row.trainSeconds > 0);
      assert.ok(row.sample!.startsWith('the cat'), `${row.run} sample: ${row.sample}`);
    }
    assert.deepEqual(out.rows.map((r) => r.steps), [6, 3, 0]);
    assert.equal(out.rows[2]!.parameterKind, 'ngrams');
    assert.equal(out.rows[0]!.parameterKind, 'weights');
    assert.equal(out.rows[0]!.parameters, 2 * 8 * V, 'lowrank: a V×d embedding and a d×V output layer');

    const table = slm('compare', runs.lowrank, runs.ngram, '--data', store);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^run\s+model\s+parameters\s+steps\s+train time\s+peak memory\s+test loss\s+perplexity\s+bits\/token\s+bits\/byte$/);
    assert.match(lines[2]!, new RegExp(`^lowrank\\s+lowrank d8\\s+[\\d,]+\\s+6\\s+\\S+\\s+[\\d.]+ [MG]B\\s+${out.rows[0]!.loss.toFixed(4)}\\s`));
    assert.match(lines[3]!, /^ngram\s+ngram 2 kn\s+[\d,]+ n-grams\s+0\s/);
  });

  test('refuses runs from another tokenizer and folders that are not runs', () => {
    const cased = join(work, 'store-cased'); // same vocabulary, no lowercasing: per-token losses would not compare
    json(slm('prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--out', cased, '--json'));
    const r = slm('compare', runs.lowrank, '--data', cased);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /store-cased was prepared with another tokenizer than the run \S+lowrank was trained with \(both have \d+ tokens but split or normalise text differently\)/);
    const casedRun = join(work, 'lowrank-cased');
    json(slm('train', '--data', cased, '--model', 'lowrank', '--embed-dim', '4', '--max-steps', '1', '--out', casedRun, '--json'));
    const late = slm('compare', runs.lowrank, casedRun, '--data', store);
    assert.equal(late.code, 1);
    assert.match(late.stderr, /than the run \S+lowrank-cased was trained with/);
    assert.doesNotMatch(late.stderr, /scoring/, 'refused before the first run is loaded and scored');
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const e = slm('compare', runs.lowrank, empty, '--data', store);
    assert.equal(e.code, 1);
    assert.match(e.stderr, /empty is not a run folder: no config\.json/);
    assert.equal(e.stdout, '', 'nothing is scored before every folder is checked');
  });
});
