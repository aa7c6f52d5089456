/**
 * Where tensors' large float buffers come from. By default a plain Float32Array; in Node with the
 * C++ addon, buffers of LARGE_BYTES and more come from their own mapping advised for transparent
 * huge pages (native/hugealloc.cc), so first touching a model's weights, gradients and AdamW
 * moments pays one page fault per 2 MiB instead of per 4 KiB — what
 * GLIBC_TUNABLES=glibc.malloc.hugetlb=1 gave, without the user setting anything. Browser-safe:
 * nothing here imports Node; the Node backend installs the allocator (SLM_HUGE_PAGES=0 keeps the
 * plain one).
 */

/** Buffers from this size up go to the large allocator (smaller ones are not worth a mapping). */
export const LARGE_BYTES = 8 << 20;

let large: ((floats: number) => Float32Array) | null = null;

/** Installs (or, with null, removes) the allocator for large buffers; returns the previous one. */
export function setLargeAllocator(f: ((floats: number) => Float32Array) | null): ((floats: number) => Float32Array) | null {
  const prev = large;
  large = f;
  return prev;
}

/** A zeroed Float32Array of n floats, from the large allocator when it is big enough and one is installed. */
export function allocF32(n: number): Float32Array {
  return large !== null && n * 4 >= LARGE_BYTES ? large(n) : new Float32Array(n);
}

/** Whether large buffers come from an installed allocator (the addon's huge-page mappings). */
export function hasLargeAllocator(): boolean {
  return large !== null;
}
