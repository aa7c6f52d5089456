/** Reference embedding kernels: gather rows by id, and scatter-add gradients back into rows. */

export function embeddingForward(ids: Int32Array, table: Float32Array, out: Float32Array, C: number): void {
  for (let n = 0; n < ids.length; n++) out.set(table.subarray(ids[n]! * C, ids[n]! * C + C), n * C);
}

export function embeddingBackward(ids: Int32Array, gOut: Float32Array, gTable: Float32Array, C: number): void {
  for (let n = 0; n < ids.length; n++) {
    const row = ids[n]! * C;
    const src = n * C;
    for (let c = 0; c < C; c++) gTable[row + c]! += gOut[src + c]!;
  }
}
