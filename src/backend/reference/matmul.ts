/**
 * Reference sgemm: the readable definition of C = op(A) @ op(B). The i-k-j loop order keeps the
 * innermost loop contiguous over C and B for the common no-transpose case.
 */

export function sgemm(transA: boolean, transB: boolean, M: number, N: number, K: number,
  A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean): void {
  if (!accumulate) C.fill(0, 0, M * N);
  if (!transB) {
    // B is (K,N): C[i,:] += A(i,k) * B[k,:]
    for (let i = 0; i < M; i++) {
      const cRow = i * N;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * M + i]! : A[i * K + k]!;
        if (a === 0) continue;
        const bRow = k * N;
        for (let j = 0; j < N; j++) C[cRow + j]! += a * B[bRow + j]!;
      }
    }
    return;
  }
  // B is (N,K): C[i,j] += dot(op(A)[i,:], B[j,:])
  for (let i = 0; i < M; i++) {
    const cRow = i * N;
    for (let j = 0; j < N; j++) {
      const bRow = j * K;
      let s = 0;
      if (transA) for (let k = 0; k < K; k++) s += A[k * M + i]! * B[bRow + k]!;
      else {
        const aRow = i * K;
        for (let k = 0; k < K; k++) s += A[aRow + k]! * B[bRow + k]!;
      }
      C[cRow + j]! += s;
    }
  }
}

/** The reference "packed" layout is op(B) itself as a row-major (K,N) matrix. */
export function packedBSize(N: number, K: number): number {
  return N * K;
}

/** Bp (K,N) = op(B): B is (K,N), or (N,K) when transB. */
export function packB(transB: boolean, N: number, K: number, B: Float32Array, Bp: Float32Array): void {
  if (!transB) {
    Bp.set(B.subarray(0, K * N));
    return;
  }
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) Bp[k * N + j] = B[j * K + k]!;
}

/** C (M,N) (+)= op(A) @ op(B), with op(B) given as packB wrote it. */
export function sgemmPackedB(transA: boolean, M: number, N: number, K: number, A: Float32Array, Bp: Float32Array,
  C: Float32Array, accumulate: boolean): void {
  sgemm(transA, false, M, N, K, A, Bp, C, accumulate);
}
