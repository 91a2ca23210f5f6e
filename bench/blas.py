"""Single-thread OpenBLAS SGEMM through numpy at the GEMM shapes of bench/lib.mjs.

Run by bench/run.mjs with OPENBLAS_NUM_THREADS=1 (and the other thread variables) in the
environment, from the project-local venv in .tools/pyvenv. Reads the shapes and timing as
JSON from argv[1]; prints one JSON line like bench/figures/*.mjs: C = A·Bᵀ (A [m×k],
B [n×k], float32, row-major), `reps` products per call, warm-up then runs of at least
`time` seconds.
"""
import json
import sys
import time

import numpy as np

cfg = json.loads(sys.argv[1])
rows = []
for s in cfg["shapes"]:
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

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < cfg["warmup"]:
        call()
    rates = []
    for _ in range(cfg["runs"]):
        n_calls, t0 = 0, time.perf_counter()
        while True:
            call()
            n_calls += 1
            if time.perf_counter() - t0 >= cfg["time"]:
                break
        rates.append(n_calls * reps * flop / 1e9 / (time.perf_counter() - t0))
    rates.sort()
    mid = len(rates) // 2
    med = rates[mid] if len(rates) % 2 else (rates[mid - 1] + rates[mid]) / 2
    rows.append({**s, "runs": rates, "median": med})

cfgs = np.show_config(mode="dicts") if "mode" in np.show_config.__code__.co_varnames else {}
blas = cfgs.get("Build Dependencies", {}).get("blas", {}) if isinstance(cfgs, dict) else {}
note = f"numpy {np.__version__}, {blas.get('name', 'BLAS')} {blas.get('version', '')}".strip() + ", 1 thread"
print(json.dumps({"figure": "openblas-gemm", "unit": "GFLOP/s", "shapes": rows, "note": note}))
