/**
 * llm.c's token shards: a header of 256 little-endian int32 — magic 20240520, version 1, the
 * number of tokens, the rest zero — then that many uint16 ids. Shard 000000 is the validation
 * shard (`NAME_val_000000.bin`), training shards follow from 000001 (`NAME_train_000001.bin`, …),
 * each at most `shardTokens` ids; as llm.c's own preparation scripts do, a document may continue
 * from one training shard into the next. The reader checks magic, version and length and names
 * the file and what it found.
 */
import { closeSync, openSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFully } from '../io/atomic.js';
import { ConfigError, DataError } from '../tensor/errors.js';

export const LLMC_MAGIC = 20240520;
export const LLMC_VERSION = 1;
export const LLMC_HEADER_INTS = 256;
const HEADER_BYTES = LLMC_HEADER_INTS * 4;
/** The header's token count is an int32. */
const MAX_SHARD_TOKENS = 2 ** 31 - 1;

export interface LlmcOptions {
  /** Tokens per training shard. */
  shardTokens: number;
  /** File name prefix. */
  name: string;
}

/** The file name of shard `index` of `split`. */
export function llmcShardName(name: string, split: 'train' | 'val', index: number): string {
  return `${name}_${split}_${String(index).padStart(6, '0')}.bin`;
}

/** One shard's bytes: header then ids. */
export function encodeLlmcShard(ids: Uint16Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + ids.length * 2);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, LLMC_MAGIC, true);
  dv.setInt32(4, LLMC_VERSION, true);
  dv.setInt32(8, ids.length, true);
  for (let i = 0; i < ids.length; i++) dv.setUint16(HEADER_BYTES + 2 * i, ids[i]!, true);
  return out;
}

/** Writes the val shard (000000) and the training shards (000001 …) into `dir`. */
export function writeLlmcShards(dir: string, train: Uint16Array, val: Uint16Array, o: LlmcOptions): { train: string[]; val: string[] } {
  if (!(Number.isInteger(o.shardTokens) && o.shardTokens >= 1 && o.shardTokens <= MAX_SHARD_TOKENS)) {
    throw new ConfigError(`shard size must be a whole number of tokens from 1 to ${MAX_SHARD_TOKENS}, got ${o.shardTokens}`);
  }
  if (!/^[A-Za-z0-9._-]+$/.test(o.name)) throw new ConfigError(`shard name ${JSON.stringify(o.name)} must be letters, digits, '.', '_' or '-'`);
  if (val.length > MAX_SHARD_TOKENS) {
    throw new ConfigError(`the test split has ${val.length} tokens; llm.c's val shard holds at most ${MAX_SHARD_TOKENS}`, 'prepare a smaller test split');
  }
  const valName = llmcShardName(o.name, 'val', 0);
  writeFileSync(join(dir, valName), encodeLlmcShard(val));
  const trainNames: string[] = [];
  for (let start = 0, i = 1; start < train.length || i === 1; start += o.shardTokens, i++) {
    const name = llmcShardName(o.name, 'train', i);
    writeFileSync(join(dir, name), encodeLlmcShard(train.subarray(start, Math.min(train.length, start + o.shardTokens))));
    trainNames.push(name);
  }
  return { train: trainNames, val: [valName] };
}

/** Reads one shard, checking magic, version and that the file holds exactly the tokens its header says. */
export function readLlmcShard(path: string): Uint16Array {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new DataError(`shard not found: ${path}`, 'pass a folder of llm.c shards (NAME_val_000000.bin, NAME_train_000001.bin, …)');
  }
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(HEADER_BYTES);
    const got = readFully(fd, head, 0);
    if (got < 12) throw new DataError(`${path} is truncated: ${size} bytes, shorter than llm.c's ${HEADER_BYTES}-byte header`, 'export the data again');
    const dv = new DataView(head.buffer);
    const magic = dv.getInt32(0, true);
    if (magic !== LLMC_MAGIC) {
      throw new DataError(`${path} is not an llm.c token shard: magic ${magic}, expected ${LLMC_MAGIC}`,
        'pass shards written by slm export --format llmc or by llm.c\'s data scripts');
    }
    const version = dv.getInt32(4, true);
    if (version !== LLMC_VERSION) {
      throw new DataError(`${path} is llm.c shard version ${version}; slmkit reads version ${LLMC_VERSION} (uint16 tokens)`,
        'export the data again with uint16 tokens');
    }
    const count = dv.getInt32(8, true);
    const expect = HEADER_BYTES + 2 * count;
    if (count < 0 || size !== expect) {
      throw new DataError(`${path} is ${size < expect ? 'truncated' : 'damaged'}: its header says ${count} tokens (${expect} bytes) but the file has ${size} bytes`,
        'export the data again');
    }
    const bytes = new Uint8Array(2 * count);
    readFully(fd, bytes, HEADER_BYTES);
    const ids = new Uint16Array(count);
    const body = new DataView(bytes.buffer);
    for (let i = 0; i < count; i++) ids[i] = body.getUint16(2 * i, true);
    return ids;
  } finally {
    closeSync(fd);
  }
}
