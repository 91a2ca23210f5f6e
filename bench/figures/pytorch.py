"""PyTorch (CPU, eager) on one workload of bench/lib.mjs, in the protocol of bench/figures/*.mjs.

    python bench/figures/pytorch.py --workload W1 --spec '{…WORKLOADS.W1…}' --threads 1
        [--time 1] [--warmup 1] [--runs 5] [--serve]

bench/run.mjs passes the workload's definition (`--spec`, from bench/lib.mjs) so both sides
train the same thing: dense inputs (lib.mjs's xorshift data), an LSTM or GRU (2 layers and
bidirectional for W3) with a Linear on every step, cross-entropy on the logits or MSE, Adam
(lr 1e-3); one step is zero_grad + forward + backward + step. W5 samples from an
Embedding(96, 64) -> LSTM 256 -> Linear 96 model one token at a time (temperature 1), in an
eager loop under inference_mode. `--threads N` is torch.set_num_threads(N).

Without --serve: warm-up, runs, one JSON line {figure, workload, unit, note, runs, median}.
With --serve: warm-up, {"ready": true, …}, then one timed run per `run` line on stdin
({"rate": …}) until `end` (lib.mjs's `figure`).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch
from torch import nn

LR = 1e-3
GEN_TOKENS = 500  # tokens per sampling call (W5)


def random_array(n, seed):
    """lib.mjs's randomArray: xorshift32 values in [-1, 1)."""
    s = (seed & 0xFFFFFFFF) or 1
    out = [0.0] * n
    for i in range(n):
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        out[i] = (s / 4294967296) * 2 - 1
    return out


class Net(nn.Module):
    """features -> LSTM/GRU (layers, bidirectional) -> Linear on every step."""

    def __init__(self, w):
        super().__init__()
        rnn = nn.LSTM if w["cell"] == "lstm" else nn.GRU
        self.rnn = rnn(w["features"], w["units"], num_layers=w["layers"], bidirectional=w["bidirectional"], batch_first=True)
        self.head = nn.Linear(w["units"] * (2 if w["bidirectional"] else 1), w["out"])

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


def training_step(w):
    """One Adam step on the workload's batch; returns (step, tokens per step)."""
    torch.manual_seed(1)
    b, t, f, o = w["batch"], w["steps"], w["features"], w["out"]
    x = torch.tensor(random_array(b * t * f, 11), dtype=torch.float32).view(b, t, f)
    if w["loss"] == "mse":
        y = torch.tensor(random_array(b * t * o, 12), dtype=torch.float32).view(b, t, o)
        loss_fn = nn.MSELoss()
    else:
        y = torch.tensor([min(o - 1, int((v + 1) / 2 * o)) for v in random_array(b * t, 13)], dtype=torch.long)
        ce = nn.CrossEntropyLoss()

        def loss_fn(logits, target):
            return ce(logits.reshape(-1, o), target)

    model = Net(w)
    opt = torch.optim.Adam(model.parameters(), lr=LR)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step, b * t


def sampling_call(w):
    """GEN_TOKENS tokens sampled one at a time from token 1; returns (call, tokens per call)."""
    torch.manual_seed(1)
    emb, lstm, head = nn.Embedding(w["vocab"], w["embed"]), nn.LSTM(w["embed"], w["units"], batch_first=True), nn.Linear(w["units"], w["vocab"])
    gen = torch.Generator().manual_seed(7)

    def call():
        with torch.inference_mode():
            tok = torch.tensor([[1]])
            state = None
            for _ in range(GEN_TOKENS):
                y, state = lstm(emb(tok), state)
                probs = torch.softmax(head(y[0, -1]) / 1.0, dim=-1)  # temperature 1
                tok = torch.multinomial(probs, 1, generator=gen).view(1, 1)

    return call, GEN_TOKENS


def cpu_model():
    """The CPU's model name (/proc/cpuinfo on Linux, else what platform knows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def timed(step, units, secs):
    """Calls `step` for at least `secs` seconds (and at least once); returns units per second."""
    n, t0 = 0, time.perf_counter()
    while True:
        step()
        n += 1
        if time.perf_counter() - t0 >= secs:
            break
    return n * units / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workload", required=True)
    p.add_argument("--spec", required=True, help="the workload's definition from bench/lib.mjs, as JSON")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--time", type=float, default=1)
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--serve", action="store_true")
    a = p.parse_args()
    w = json.loads(a.spec)
    torch.set_num_threads(a.threads)
    step, units = sampling_call(w) if w.get("generate") else training_step(w)
    what = f"eager sampling loop, {GEN_TOKENS} tokens per call, temperature 1" if w.get("generate") else "zero_grad + forward + backward + Adam step"
    meta = {
        "figure": f"torch-{a.threads}t",
        "workload": a.workload,
        "unit": "tok/s",
        "note": f"PyTorch {torch.__version__} CPU ({torch.backends.cpu.get_cpu_capability()}), {torch.get_num_threads()} thread(s); {what}",
        "host": {"cpu": cpu_model(), "cores": os.cpu_count(), "runtime": f"python {platform.python_version()}, torch {torch.__version__}"},
    }
    t0 = time.perf_counter()
    calls = 0
    while True:
        step()
        calls += 1
        if time.perf_counter() - t0 >= a.warmup:
            break
    if not a.serve:
        per_call = (time.perf_counter() - t0) / calls
        runs = [timed(step, units, a.time) for _ in range(min(a.runs, 3) if per_call > a.time else a.runs)]
        emit({**meta, "runs": runs, "median": statistics.median(runs)})
        return
    emit({"ready": True, **meta})
    for line in sys.stdin:
        if line.strip() != "run":
            break
        emit({"rate": timed(step, units, a.time)})


if __name__ == "__main__":
    main()
