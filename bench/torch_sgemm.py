"""PyTorch side of bench/sgemm.bench.ts: times torch.matmul on the same shapes and layouts.

Usage: python3 bench/torch_sgemm.py '<json list of {name,M,N,K,transA,transB,reps}>'
Prints one JSON object: {"torch": version, "blas": ..., "threads": n, "results": [{name, ms, gflops}]}.
A transposed operand is stored as the other layout and passed as a .t() view, as slmkit stores it.
"blas" names the BLAS library the process actually loaded (from /proc/self/maps, on Linux).
"""
import json
import sys
import time

import torch


def loaded_blas() -> str:
    """Basenames of the BLAS/LAPACK-like libraries mapped into this process."""
    names = set()
    try:
        with open("/proc/self/maps", encoding="utf8") as maps:
            for line in maps:
                path = line.split()[-1]
                base = path.rsplit("/", 1)[-1]
                if any(key in base.lower() for key in ("blas", "mkl", "blis", "dnnl")):
                    names.add(base)
    except OSError:
        return "unknown"
    return ", ".join(sorted(names)) or "none found"


def main() -> None:
    shapes = json.loads(sys.argv[1])
    torch.set_num_threads(2)
    out = []
    for s in shapes:
        M, N, K = s["M"], s["N"], s["K"]
        a = torch.randn(K, M) if s["transA"] else torch.randn(M, K)
        b = torch.randn(N, K) if s["transB"] else torch.randn(K, N)
        opa = a.t() if s["transA"] else a
        opb = b.t() if s["transB"] else b
        c = torch.empty(M, N)
        torch.matmul(opa, opb, out=c)  # warm-up
        best = float("inf")
        for _ in range(s["reps"]):
            t0 = time.perf_counter()
            torch.matmul(opa, opb, out=c)
            best = min(best, time.perf_counter() - t0)
        out.append({"name": s["name"], "ms": best * 1e3, "gflops": 2.0 * M * N * K / best / 1e9})
        del a, b, c, opa, opb
    print(json.dumps({"torch": torch.__version__, "blas": loaded_blas(), "threads": torch.get_num_threads(), "results": out}))


if __name__ == "__main__":
    main()
