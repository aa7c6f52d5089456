/**
 * A small pool of float32 buffers keyed by length. Autograd returns intermediate gradients and
 * saved scratch buffers here once backward has used them, so a training loop that repeats the same
 * shapes reuses its largest buffers instead of allocating them anew every step. The pool holds at
 * most `limit` bytes: padded batches change shape every step, and without a bound every length
 * ever seen would stay pooled (a leak of tens of MB per step). Past the limit, the sizes pooled
 * longest ago are dropped first.
 */

const MAX_PER_SIZE = 4;
const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;
let limitBytes = 256 * 2 ** 20;

/** Sets the most bytes the pool may hold (default 256 MiB); returns the previous limit. */
export function setBufferPoolLimit(bytes: number): number {
  const prev = limitBytes;
  limitBytes = Math.max(0, bytes);
  evict();
  return prev;
}

function evict(): void {
  for (const [n, list] of free) {
    if (pooledBytes <= limitBytes) return;
    while (list.length > 0 && pooledBytes > limitBytes) pooledBytes -= list.pop()!.byteLength;
    if (list.length === 0) free.delete(n);
  }
}

/** A buffer of exactly `n` floats, contents undefined (callers overwrite or fill). */
export function takeBuffer(n: number): Float32Array {
  const list = free.get(n);
  const buf = list?.pop();
  if (buf) {
    pooledBytes -= buf.byteLength;
    return buf;
  }
  return new Float32Array(n);
}

/** Gives a buffer back; it must not be used by the caller afterwards. */
export function releaseBuffer(buf: Float32Array): void {
  // Views into a larger buffer are never pooled: their memory belongs to someone else.
  if (buf.byteOffset !== 0 || buf.byteLength !== buf.buffer.byteLength) return;
  if (buf.byteLength > limitBytes) return;
  let list = free.get(buf.length);
  if (!list) {
    list = [];
    free.set(buf.length, list);
  } else {
    // Most recently used sizes move to the back, so eviction drops stale sizes first.
    free.delete(buf.length);
    free.set(buf.length, list);
  }
  if (list.length >= MAX_PER_SIZE) return;
  list.push(buf);
  pooledBytes += buf.byteLength;
  evict();
}

/** Bytes currently held by the pool (for memory reports and tests). */
export function pooledBufferBytes(): number {
  return pooledBytes;
}

/** Drops every pooled buffer so the garbage collector can take them. */
export function clearBufferPool(): void {
  free.clear();
  pooledBytes = 0;
}
