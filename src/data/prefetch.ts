/**
 * Batches produced ahead of the training step, in a worker thread, so that building the next
 * padded batch overlaps the current step instead of preceding it. The batches are exactly those
 * of `paddedBatches` / `packedBatches` with the same options, in the same order.
 */
import { Worker } from 'node:worker_threads';
import { Tensor } from '../tensor/tensor.js';
import type { Batch, BatchOptions } from './batches.js';
import type { BatchMessage } from './batchWorker.js';
import type { TokenSplit } from './store.js';

export interface PrefetchOptions extends Omit<BatchOptions, 'epoch' | 'startBatch'> {
  mode: 'padded' | 'packed';
  blockSize: number;
  /** Batches built ahead (default 2). */
  depth?: number;
}

type Incoming = BatchMessage | { epoch: number; done: true } | Error;

export class BatchPrefetcher {
  private readonly worker: Worker;
  private readonly queue: Incoming[] = [];
  private waiting: ((m: Incoming) => void) | null = null;

  constructor(split: TokenSplit, o: PrefetchOptions) {
    const { mode, blockSize, depth, ...opts } = o;
    this.worker = new Worker(new URL('./batchWorker.js', import.meta.url), {
      workerData: { split, opts, mode, blockSize, depth: depth ?? 2 },
    });
    const push = (m: Incoming) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(m);
      } else this.queue.push(m);
    };
    this.worker.on('message', push);
    this.worker.on('error', push);
  }

  private next(): Promise<Incoming> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((res) => { this.waiting = res; });
  }

  /** The batches of one epoch from `startBatch` on. */
  async *epoch(epoch: number, startBatch = 0): AsyncGenerator<Batch> {
    this.queue.length = 0;
    this.worker.postMessage({ epoch, startBatch });
    for (;;) {
      const m = await this.next();
      if (m instanceof Error) throw m;
      if (m.epoch !== epoch) continue; // left over from an abandoned epoch
      if ('done' in m) return;
      this.worker.postMessage('take');
      yield { ids: new Tensor(m.ids, m.shape), mask: new Tensor(m.mask, m.shape) };
    }
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
