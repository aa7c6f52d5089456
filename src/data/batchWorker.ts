/**
 * Worker thread of the batch prefetcher: holds the split, builds each epoch's batches with the same
 * generators the trainer would run, and posts them (buffers transferred, not copied) while the
 * main thread trains. It runs at most `depth` batches ahead of what the main thread has taken.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { packedBatches, paddedBatches, type BatchOptions } from './batches.js';
import type { TokenSplit } from './store.js';

export interface EpochRequest {
  epoch: number;
  startBatch: number;
}

export interface BatchMessage {
  epoch: number;
  ids: Int32Array;
  mask: Int32Array;
  shape: [number, number];
}

const { split, opts, mode, blockSize, depth } = workerData as {
  split: TokenSplit; opts: BatchOptions; mode: 'padded' | 'packed'; blockSize: number; depth: number;
};
let credit = 0;
let wake: (() => void) | null = null;
let current = -1;

parentPort!.on('message', (m: EpochRequest | 'take') => {
  if (m === 'take') {
    credit++;
    wake?.();
    return;
  }
  current = m.epoch;
  credit = depth;
  void runEpoch(m);
});

async function runEpoch(r: EpochRequest): Promise<void> {
  const o = { ...opts, epoch: r.epoch, startBatch: r.startBatch };
  const gen = mode === 'packed' ? packedBatches(split, { ...o, blockSize }) : paddedBatches(split, o);
  for (const b of gen) {
    while (credit <= 0) await new Promise<void>((res) => { wake = res; });
    if (current !== r.epoch) return; // a new epoch was asked for: this one is abandoned
    credit--;
    const ids = b.ids.data as Int32Array;
    const mask = b.mask.data as Int32Array;
    const msg: BatchMessage = { epoch: r.epoch, ids, mask, shape: [b.ids.shape[0]!, b.ids.shape[1]!] };
    parentPort!.postMessage(msg, [ids.buffer as ArrayBuffer, mask.buffer as ArrayBuffer]);
  }
  parentPort!.postMessage({ epoch: r.epoch, done: true });
}
