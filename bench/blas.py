"""Single-thread OpenBLAS SGEMM through numpy at the GEMM shapes of bench/lib.mjs.

Run by bench/run.mjs from the project-local venv in .tools/pyvenv, with OPENBLAS_NUM_THREADS=1
(and the other thread variables) in the environment:

    python bench/blas.py --shapes '[{"name":…,"m":32,"n":1024,"k":256},…]' --gemm-time 0.4
                         [--time 1] [--warmup 1] [--runs 5] [--serve]

C = A·Bᵀ (A [m×k], B [n×k], float32, row-major), enough products per call for ~5e7 flops,
timed like bench/lib.mjs's gemmFigure: a warm-up, then runs of at least min(time, gemm-time)
seconds per shape. Prints one JSON line; with --serve, prints {"ready":true}, then one
{"rates":[…]} line per "run" line on stdin until "end".
"""
import json
import sys
import time

import numpy as np


def arg(name, default=None):
    if name in sys.argv:
        i = sys.argv.index(name)
        return sys.argv[i + 1] if i + 1 < len(sys.argv) and not sys.argv[i + 1].startswith("--") else True
    return default


shapes = json.loads(arg("--shapes"))
gemm_time = float(arg("--gemm-time", 0.4))
run_time = min(float(arg("--time", 1)), gemm_time)
warmup = min(float(arg("--warmup", 1)), gemm_time)
runs = int(arg("--runs", 5))


def make_call(s):
    m, n, k = s["m"], s["n"], s["k"]
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k)).astype(np.float32)
    c = np.empty((m, n), dtype=np.float32)
    flop = 2.0 * m * n * k
    reps = max(1, round(5e7 / flop))

    def call():
        for _ in range(reps):
            np.matmul(a, b.T, out=c)

    return call, flop * reps / 1e9


def once(call, gflop, secs):
    n, t0 = 0, time.perf_counter()
    while True:
        call()
        n += 1
        if time.perf_counter() - t0 >= secs:
            return n * gflop / (time.perf_counter() - t0)


def median(xs):
    s = sorted(xs)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def blas_note():
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return f"numpy {np.__version__}, {blas.get('name', 'BLAS')} {blas.get('version', '')}".strip() + ", 1 thread"
    except Exception:  # older numpy: no dict mode
        return f"numpy {np.__version__}, 1 thread"


calls = [make_call(s) for s in shapes]
for call, g in calls:
    once(call, g, warmup)
meta = {"figure": "openblas-gemm", "unit": "GFLOP/s", "note": blas_note()}

if arg("--serve"):
    print(json.dumps({"ready": True, **meta}), flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        print(json.dumps({"rates": [once(call, g, run_time) for call, g in calls]}), flush=True)
else:
    rows = []
    for s, (call, g) in zip(shapes, calls):
        rates = [once(call, g, run_time) for _ in range(runs)]
        rows.append({**s, "runs": rates, "median": median(rates)})
    print(json.dumps({**meta, "shapes": rows}))
