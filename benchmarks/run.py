"""Benchmarks: each public op against its hand-written TF2/TFP equivalent, interleaved.

    python benchmarks/run.py [--quick] [--out benchmarks/RESULTS.md] [--json benchmarks/results.json]

For every case, regime (eager, tf.function, XLA) and size, the package version (A) and the
hand-written version (B) are timed alternately (A B A B ...) in this one process; the report gives
the median ratio A/B with its interquartile range, the first-call (trace/compile) cost of each,
the peak memory ratio at the largest size (each side in its own subprocess), and the build-time
scaling of the stochastic-graph dependency walk.
"""
import argparse
import dataclasses
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

_HERE = os.path.dirname(os.path.abspath(__file__))
# Run from a checkout: the cases module beside this file, the package one folder up.
sys.path[:0] = [_HERE, os.path.dirname(_HERE)]
import cases  # noqa: E402

REGIMES = ("eager", "function", "xla")


@dataclasses.dataclass
class Row:
    case: str
    regime: str
    n: int
    batch: int
    ratio_median: float
    ratio_q1: float
    ratio_q3: float
    package_ms: float
    handwritten_ms: float
    package_first_ms: float
    handwritten_first_ms: float


def _wrap(fn: Callable, regime: str) -> Callable:
    if regime == "function":
        return tf.function(fn)
    if regime == "xla":
        return tf.function(fn, jit_compile=True)
    return fn


def _timed(fn: Callable, inputs: Sequence) -> float:
    start = time.perf_counter()
    tf.nest.map_structure(lambda t: t.numpy(), fn(*inputs))
    return time.perf_counter() - start


def measure(case: "cases.Case", regime: str, n: int, batch: int, reps: int) -> Row:
    inputs = case.make_inputs(n, batch)
    package, handwritten = _wrap(case.package, regime), _wrap(case.handwritten, regime)
    first_a, first_b = _timed(package, inputs), _timed(handwritten, inputs)
    _timed(package, inputs), _timed(handwritten, inputs)  # warm caches
    times_a, times_b = [], []
    for i in range(reps):
        # Alternate which side goes first so drift and cache effects cancel.
        order = ((package, times_a), (handwritten, times_b))
        for fn, bucket in order if i % 2 == 0 else reversed(order):
            bucket.append(_timed(fn, inputs))
    ratios = sorted(a / b for a, b in zip(times_a, times_b))
    q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratios[0],) * 3
    return Row(
        case.name, regime, n, batch, statistics.median(ratios), q1, q3,
        1e3 * statistics.median(times_a), 1e3 * statistics.median(times_b),
        1e3 * first_a, 1e3 * first_b,
    )


def peak_memory_child(case_name: str, side: str, n: int, batch: int) -> None:
    """Runs one side once in tf.function and prints the peak RSS growth in MiB."""
    case = cases.CASES[case_name]
    inputs = case.make_inputs(n, batch)
    fn = tf.function(case.package if side == "package" else case.handwritten)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tf.nest.map_structure(lambda t: t.numpy(), fn(*inputs))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) / 1024.0)


def peak_memory_ratio(case_name: str, n: int, batch: int) -> Dict[str, float]:
    peaks = {}
    for side in ("package", "handwritten"):
        out = subprocess.run(
            [sys.executable, __file__, "--memory-child", case_name, side, str(n), str(batch)],
            capture_output=True, text=True, check=True,
        )
        peaks[side] = float(out.stdout.strip().splitlines()[-1])
    peaks["ratio"] = peaks["package"] / max(peaks["handwritten"], 1.0)
    return peaks


def walk_scaling(sizes: Sequence[int]) -> Dict[str, object]:
    """Times building surrogate_loss on graphs of growing size; fits time ~ size**k."""
    points = [(size, cases.time_dependency_walk(size)) for size in sizes]
    xs, ys = np.log([p[0] for p in points]), np.log([max(p[1], 1e-6) for p in points])
    exponent = float(np.polyfit(xs, ys, 1)[0])
    return {"points": points, "exponent": exponent}


def _markdown(rows: List[Row], memory: Dict, scaling: Dict, args) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Date: {datetime.date.today().isoformat()}. Machine: {platform.machine()}, "
        f"{os.cpu_count()} CPU cores, {platform.platform()}; Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}. Command: `python benchmarks/run.py"
        f"{' --quick' if args.quick else ''}`, {args.reps} interleaved repetitions per cell.",
        "",
        "Ratio = package time / hand-written TF2/TFP time (median, [q1, q3]); < 1 is faster.",
        "",
        "| case | regime | n | batch | ratio | [q1, q3] | package ms | hand-written ms "
        "| first call ms (pkg / hand) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.case} | {r.regime} | {r.n:g} | {r.batch} | {r.ratio_median:.3f} | "
            f"[{r.ratio_q1:.3f}, {r.ratio_q3:.3f}] | {r.package_ms:.3f} | {r.handwritten_ms:.3f} | "
            f"{r.package_first_ms:.1f} / {r.handwritten_first_ms:.1f} |"
        )
    lines += ["", "## Summary against the targets", ""]
    for regime, target in (("eager", 1.20), ("function", 1.05), ("xla", 1.05)):
        worst = max((r for r in rows if r.regime == regime), key=lambda r: r.ratio_median, default=None)
        if worst:
            verdict = "met" if worst.ratio_median <= target else "MISSED"
            lines.append(
                f"- {regime}: worst median ratio {worst.ratio_median:.3f} ({worst.case}, n={worst.n:g}, "
                f"batch={worst.batch}); target <= {target}: {verdict}"
            )
    if memory:
        lines += ["", "## Peak memory at the largest size (tf.function, RSS growth, MiB)", "",
                  "| case | package | hand-written | ratio |", "|---|---|---|---|"]
        for name, m in memory.items():
            lines.append(f"| {name} | {m['package']:.0f} | {m['handwritten']:.0f} | {m['ratio']:.2f} |")
    if scaling:
        lines += ["", "## Dependency walk build time (surrogate_loss on chains of diamonds)", "",
                  "| graph ops | seconds |", "|---|---|"]
        lines += [f"| {size} | {secs:.3f} |" for size, secs in scaling["points"]]
        lines.append(f"\nFitted exponent: {scaling['exponent']:.2f} (target <= 1.1)")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and few repetitions")
    parser.add_argument("--reps", type=int, default=None, help="interleaved repetitions per cell")
    parser.add_argument("--cases", nargs="*", default=None, help="subset of case names")
    parser.add_argument("--out", default=None, help="markdown report path")
    parser.add_argument("--json", default=None, help="machine-readable results path")
    parser.add_argument("--memory-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        name, side, n, batch = args.memory_child
        peak_memory_child(name, side, int(n), int(batch))
        return
    args.reps = args.reps or (3 if args.quick else 9)
    sizes = (1000, 10000) if args.quick else (1000, 100_000, 1_000_000)
    batches = (1, 10) if args.quick else (1, 100)
    names = args.cases or list(cases.CASES)
    rows = []
    for name in names:
        for regime in REGIMES:
            for n in sizes:
                for batch in batches:
                    row = measure(cases.CASES[name], regime, n, batch, args.reps)
                    rows.append(row)
                    print(f"{name:28s} {regime:8s} n={n:<8g} batch={batch:<4d} "
                          f"ratio {row.ratio_median:.3f} [{row.ratio_q1:.3f}, {row.ratio_q3:.3f}]",
                          flush=True)
    memory = {name: peak_memory_ratio(name, sizes[-1], batches[-1]) for name in names}
    scaling = walk_scaling((1000, 3000) if args.quick else (1000, 10_000, 100_000))
    report = _markdown(rows, memory, scaling, args)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": [dataclasses.asdict(r) for r in rows], "memory": memory,
                       "walk_scaling": scaling}, f, indent=1)


if __name__ == "__main__":
    main()
