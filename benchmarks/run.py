"""Benchmarks: each public op against its hand-written TF2/TFP equivalent, interleaved.

    python benchmarks/run.py [--quick] [--out benchmarks/RESULTS.md] [--json results.json]

For every case, regime (eager, tf.function, XLA) and size, the package version (A) and the
hand-written version (B) are timed alternately (A B B A A B ...) in this one process. The report
gives the median ratio A/B with its interquartile range, the first-call (trace/compile) cost of
each side, their peak memory at the largest size, and the build-time scaling of the
stochastic-graph dependency walk. Before timing, each case checks that both sides return the
same numbers.
"""
import argparse
import dataclasses
import datetime
import gc
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402

_HERE = os.path.dirname(os.path.abspath(__file__))
# Run from a checkout: the cases module beside this file, the package one folder up.
sys.path[:0] = [_HERE, os.path.dirname(_HERE)]
import cases  # noqa: E402
from tf_contrib_bayesflow._internal.deprecation import BayesflowDeprecationWarning  # noqa: E402

# Each cell creates fresh tf.functions on purpose (to time their first call): silence TF's
# retracing advice, and the package's own logging.
tf.get_logger().setLevel("ERROR")

REGIMES = ("eager", "function", "xla")
TARGETS = {"eager": 1.20, "function": 1.05, "xla": 1.05}
MEMORY_TARGET = 1.2
WALK_TARGET = 1.1


@dataclasses.dataclass
class Row:
    case: str
    regime: str
    n: int
    batch: int
    reps: int  # timing samples per side
    calls_per_sample: int
    ratio_median: float
    ratio_q1: float
    ratio_q3: float
    cpu_ratio_median: float  # the same from process CPU time, a cross-check on a busy machine
    package_ms: float  # median time of one call
    handwritten_ms: float
    package_first_ms: float  # the first call: trace (and XLA compile) plus one run
    handwritten_first_ms: float


# ---------------------------------------------------------------------------- memory
#
# Peak memory is measured in a child process per case, with oneDNN's CPU allocator switched off
# (TF_ENABLE_ONEDNN_OPTS=0): that allocator keeps freed buffers in a pool, so the resident set never
# shrinks and the peak of one call is hidden by earlier calls. Without it, tensors of this size are
# mapped and unmapped directly, and the resident set follows the live tensors.


def _proc_status_mib(field: str) -> float:
    with open("/proc/self/status") as f:
        return int(re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M).group(1)) / 1024.0


def _reset_peak_rss() -> None:
    # Linux >= 4.0: writing 5 resets the process's peak resident set size (VmHWM) to its
    # current size, so the peak of the next call alone can be read afterwards.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _can_measure_memory() -> bool:
    try:
        _reset_peak_rss()
        _proc_status_mib("VmHWM")
        return True
    except (OSError, AttributeError):
        return False


def _peak_mib(fn: Callable, inputs: Sequence) -> float:
    """Growth of the resident set during one call, above what was resident before it (MiB)."""
    gc.collect()
    before = _proc_status_mib("VmRSS")
    _reset_peak_rss()
    _run(fn, inputs)
    return _proc_status_mib("VmHWM") - before


def memory_child(name: str, n: int, batch: int, regimes: Sequence[str]) -> None:
    """Prints, as JSON, {regime: [[package MiB, ...], [hand-written MiB, ...](, [legacy formula
    MiB, ...])]} for one case at one size (the legacy formula by hand where the case has one).

    Inputs are created first. Each function is first run on n = 1000 (same batch), so one-time
    set-up (thread pools, XLA's JIT) is not counted. Then the sides run in turn at full size,
    five times each (the graph executor's schedule, which decides what is live together, varies
    from call to call), fewer when a round takes over 15 s. The first full-size call also
    traces the new shape (and compiles it under XLA): a few MiB.
    """
    warnings.simplefilter("ignore", BayesflowDeprecationWarning)
    case = cases.CASES[name]
    small, inputs = case.make_inputs(1000, batch), case.make_inputs(n, batch)
    result = {}
    for regime in regimes:
        sides = [
            _wrap(side, regime)
            for side in (case.package, case.handwritten, case.legacy_formula) if side is not None
        ]
        for fn in sides:
            _run(fn, small)
        peaks = [[] for _ in sides]
        for rep in range(5):
            start = time.perf_counter()
            order = list(range(len(sides)))
            for i in order if rep % 2 == 0 else reversed(order):
                peaks[i].append(_peak_mib(sides[i], inputs))
            if time.perf_counter() - start > 15.0:
                break
        result[regime] = peaks
    print(json.dumps(result))


def peak_memory(
    name: str, n: int, batch: int, regimes: Sequence[str]
) -> Dict[str, List[List[float]]]:
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0")
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", name, str(n), str(batch), ",".join(regimes)],
        capture_output=True, text=True, env=env,
    )
    if out.returncode:
        raise RuntimeError(f"memory child for {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- timing


def _wrap(fn: Callable, regime: str) -> Callable:
    if regime == "function":
        return tf.function(fn)
    if regime == "xla":
        return tf.function(fn, jit_compile=True)
    return fn


def _run(fn: Callable, inputs: Sequence):
    return tf.nest.map_structure(lambda t: t.numpy(), fn(*inputs))


def _timed(fn: Callable, inputs: Sequence, calls: int = 1) -> Tuple[float, float]:
    """(wall, CPU) seconds per call, over `calls` back-to-back calls (results fetched to NumPy).

    CPU time is this process's, all threads: unlike wall time it does not count the time other
    processes hold the cores, so it is the steadier of the two on a shared machine.
    """
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        _run(fn, inputs)
    return (time.perf_counter() - start) / calls, (time.process_time() - start_cpu) / calls


@dataclasses.dataclass
class Plan:
    budget_s: float  # wall time aimed at per cell, both sides together
    min_sample_s: float  # a timing sample repeats the call until it lasts this long
    min_reps: int
    max_reps: int
    # A cell whose ratios spread wider than this (interquartile range) gets more samples, up to
    # three times its planned number and `extra_s` more seconds: calls at 1e8 elements sometimes
    # take 1.1 s and sometimes 1.5 s on either side, and a median of 7 such pairs is not stable.
    max_spread: float
    extra_s: float


def _reps_for(seconds_per_pair: float, plan: Plan) -> int:
    if seconds_per_pair > 40.0:
        floor = 2  # a minute per pair (XLA Bernoulli sampling at 1e8): the median of two
    elif seconds_per_pair > 4.0:
        floor = 3
    else:
        floor = plan.min_reps
    return max(floor, min(plan.max_reps, int(plan.budget_s / seconds_per_pair)))


def _median_and_quartiles(values: List[float]) -> Tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return median, q1, q3


def measure(case: "cases.Case", regime: str, n: int, batch: int, plan: Plan) -> Row:
    inputs = case.make_inputs(n, batch)
    package, handwritten = _wrap(case.package, regime), _wrap(case.handwritten, regime)
    gc.collect()
    (first_a, _), (first_b, _) = _timed(package, inputs), _timed(handwritten, inputs)
    # One warm pair (B first this time) estimates the cost; a slow one is also the first sample.
    warm_b = _timed(handwritten, inputs)
    warm_a = _timed(package, inputs)
    per_call = max(warm_a[0], warm_b[0])
    calls = max(1, math.ceil(plan.min_sample_s / per_call))
    reps = _reps_for(2 * calls * per_call, plan)
    samples_a, samples_b = ([warm_a], [warm_b]) if per_call > 1.0 else ([], [])
    sides = ((package, samples_a), (handwritten, samples_b))
    i, most, deadline = 0, min(plan.max_reps, 3 * reps), None
    while True:
        while len(samples_a) < reps:
            # Alternate which side goes first so drift and cache effects cancel.
            for fn, bucket in sides if i % 2 == 0 else reversed(sides):
                bucket.append(_timed(fn, inputs, calls))
            i += 1
        ratio, q1, q3 = _median_and_quartiles([a[0] / b[0] for a, b in zip(samples_a, samples_b)])
        deadline = deadline or time.perf_counter() + plan.extra_s
        if q3 - q1 <= plan.max_spread or reps >= most or time.perf_counter() > deadline:
            break
        reps += 2
    cpu_ratio, _, _ = _median_and_quartiles(
        [a[1] / b[1] for a, b in zip(samples_a, samples_b) if a[1] > 0 and b[1] > 0] or [math.nan]
    )
    return Row(
        case.name, regime, n, batch, len(samples_a), calls, ratio, q1, q3, cpu_ratio,
        1e3 * statistics.median(a[0] for a in samples_a),
        1e3 * statistics.median(b[0] for b in samples_b),
        1e3 * first_a, 1e3 * first_b,
    )


# ---------------------------------------------------------------------------- equality check


def _flatten(structure) -> List[np.ndarray]:
    return [np.asarray(x) for x in tf.nest.flatten(structure)]


class CheckFailed(Exception):
    """The package and the hand-written version of a case disagree: its timings would be moot."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def check_case(case: "cases.Case", n: int = 1000, batch: int = 3) -> Dict[str, object]:
    """Runs both sides once per regime on small inputs and compares what they return.

    Shapes and dtypes must agree in every regime; values must agree within `case.rtol` (relative
    to the largest magnitude) in every regime, or, for cases that draw samples inside the
    function, in eager mode after resetting the global seed before each side. The legacy formula
    by hand, where a case has one, is checked against the package the same way.
    Also counts the ops each side traces in `tf.function`.

    Raises:
      CheckFailed: the two sides disagree.
    """
    inputs = case.make_inputs(n, batch)
    worst = 0.0
    others = {"hand-written": case.handwritten, "legacy formula": case.legacy_formula}
    for regime in REGIMES:
        tf.random.set_seed(7)
        ours = _flatten(_run(_wrap(case.package, regime), inputs))
        for label, other in others.items():
            if other is None:
                continue
            tf.random.set_seed(7)
            theirs = _flatten(_run(_wrap(other, regime), inputs))
            where = f"{case.name} {regime}, package vs {label}"
            _require(len(ours) == len(theirs), f"{where}: output structures differ")
            for a, b in zip(ours, theirs):
                _require(
                    a.shape == b.shape and a.dtype == b.dtype,
                    f"{where}: {a.shape} {a.dtype} vs {b.shape} {b.dtype}",
                )
                if case.stochastic and regime != "eager":
                    continue
                scale = max(float(np.max(np.abs(b))), 1e-30)
                error = float(np.max(np.abs(a - b))) / scale
                _require(error <= case.rtol, f"{where}: relative difference {error:.3g}")
                worst = max(worst, error)
    ops = [
        len(tf.function(side).get_concrete_function(*inputs).graph.get_operations())
        for side in (case.package, case.handwritten)
    ]
    return {"case": case.name, "max_relative_difference": worst, "traced_ops": ops}


# ---------------------------------------------------------------------------- dependency walk


def walk_scaling(kind: str, sizes: Sequence[int], reps: int = 3) -> Dict[str, object]:
    """Times `kind` on graphs of growing size; fits seconds ~ ops**k on the first calls.

    Each size is built and timed `reps` times (medians kept): a first call on 1e5 ops takes
    from 1.7 to 3.4 s, depending on when Python's garbage collector makes its full passes over
    the graph's objects.
    """
    points = []
    for size in sizes:
        runs = []
        for _ in range(reps):
            gc.collect()
            runs.append(cases.time_dependency_walk(kind, size))
        ops = runs[0][0]
        cold, warm = (statistics.median(run[i] for run in runs) for i in (1, 2))
        points.append({"ops": ops, "first_call_s": cold, "warm_call_s": warm})
        print(f"walk {kind:15s} {ops:>7d} ops  first {cold:.3f} s  warm {warm:.3f} s", flush=True)
    xs = np.log([p["ops"] for p in points])

    def fit(key):
        return float(np.polyfit(xs, np.log([max(p[key], 1e-6) for p in points]), 1)[0])

    return {"points": points, "exponent": fit("first_call_s"), "warm_exponent": fit("warm_call_s")}


# ---------------------------------------------------------------------------- report


def _machine() -> Dict[str, object]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M).group(1)
        with open("/proc/meminfo") as f:
            memory_gib = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1)) / 2**20
    except (OSError, AttributeError):
        memory_gib = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "tensorflow_probability": tfp.__version__,
    }


def _size_label(n: int, batch: int) -> str:
    return f"{n:.0e}".replace("e+0", "e") + f" x {batch}"


def _worst(rows: List[Row], regime: str) -> Optional[Row]:
    return max((r for r in rows if r.regime == regime), key=lambda r: r.ratio_median, default=None)


def summary(
    rows: List[Row], formula_rows: List[Row], walks: Dict, memory: List[Dict]
) -> Dict[str, object]:
    """Each target: met, or missed, and then whether every miss is the legacy formula's cost
    (the package within the target of the same formula written by hand)."""
    out = {}
    against_formula = {(r.case, r.regime, r.n, r.batch): r.ratio_median for r in formula_rows}
    control = [r for r in rows if cases.CASES[r.case].control]
    if control:
        out["control"] = {
            "largest_deviation": max(abs(r.ratio_median - 1.0) for r in control),
            "widest_iqr": max(r.ratio_q3 - r.ratio_q1 for r in control),
        }
    rows = [r for r in rows if not cases.CASES[r.case].control]
    for regime, target in TARGETS.items():
        worst = _worst(rows, regime)
        if worst:
            misses = [
                (r.case, r.n, r.batch, round(r.ratio_median, 3),
                 against_formula.get((r.case, regime, r.n, r.batch)))
                for r in rows if r.regime == regime and r.ratio_median > target
            ]
            out[regime] = {
                "worst_ratio": worst.ratio_median, "case": worst.case, "n": worst.n,
                "batch": worst.batch, "target": target, "met": not misses,
                "explained": all(f is not None and f <= target for *_, f in misses),
                "misses": misses,
            }
    memory = [m for m in memory if not cases.CASES[m["case"]].control]
    if memory:
        worst = max(memory, key=lambda m: m["ratio"])
        misses = [m for m in memory if m["ratio"] > MEMORY_TARGET]
        out["memory"] = {
            "worst_ratio": worst["ratio"], "case": worst["case"], "regime": worst["regime"],
            "target": MEMORY_TARGET, "met": not misses,
            "explained": all(m.get("formula_ratio", math.inf) <= MEMORY_TARGET for m in misses),
            "misses": [(m["case"], m["regime"], round(m["ratio"], 2), m.get("formula_ratio"))
                       for m in misses],
        }
    for kind, walk in walks.items():
        out[f"walk {kind}"] = {
            "exponent": walk["exponent"], "target": WALK_TARGET,
            "met": walk["exponent"] <= WALK_TARGET,
        }
    return out


def _mib_ratio(a: float, b: float) -> float:
    return max(a, 1.0) / max(b, 1.0)  # Growth below 1 MiB is noise, not memory held by the op.


def _memory_rows(
    name: str, n: int, batch: int, peaks: Dict[str, List[List[float]]]
) -> List[Dict]:
    """One row per regime: each side's median peak (and its range), and the ratios of medians."""
    rows = []
    for regime, sides in peaks.items():
        (a, b, *formula) = [statistics.median(p) for p in sides]
        row = {"case": name, "regime": regime, "n": n, "batch": batch, "package_mib": a,
               "handwritten_mib": b, "ratio": _mib_ratio(a, b),
               "ranges_mib": [[min(p), max(p)] for p in sides]}
        if formula:
            row.update(formula_mib=formula[0], formula_ratio=_mib_ratio(a, formula[0]))
        rows.append(row)
    return rows


def _mib(median: float, low_high: List[float]) -> str:
    low, high = low_high
    return f"{median:.0f}" if high - low < 1.0 else f"{median:.0f} ({low:.0f}-{high:.0f})"


def _verdict(s: Dict, misses: List[str]) -> str:
    if s["met"]:
        return "met"
    why = (
        "; each miss is the cost of the legacy formula: against it, written by hand, the package"
        " is within the target" if s["explained"] else ""
    )
    return "MISSED in " + ", ".join(misses) + why


def _against_formula(ratio: Optional[float]) -> str:
    return "" if ratio is None else f"; against the legacy formula by hand: {ratio:.2f}"


def _markdown(
    meta: Dict, checks: List[Dict], rows: List[Row], formula_rows: List[Row],
    memory: List[Dict], walks: Dict, summ: Dict,
) -> str:
    m = meta["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `{meta['command']}` on {meta['date']}, in {meta['minutes']:.1f} minutes.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']:.0f} GiB memory; "
        f"{m['platform']}; Python {m['python']}, TensorFlow {m['tensorflow']}, "
        f"TensorFlow Probability {m['tensorflow_probability']}. CPU only.",
        "",
        f"Load average (1, 5, 15 min) at the start: {meta['load_start']}, at the end: "
        f"{meta['load_end']}, on {m['cores']} cores" + (
            ": the machine was busy with other work, so absolute times are noisy; each ratio "
            "compares calls made next to each other, which share that noise."
            if max(meta["load_start"][1], meta["load_end"][1]) > 0.5 * m["cores"] else "."
        ),
        "",
        "Ratio = package time / hand-written TF2/TFP time for the same inputs, the median over "
        "interleaved samples (A B B A ...), with the interquartile range; < 1 means the package "
        "is faster. Sizes are n samples x batch shape.",
        "",
        "## Against the targets",
        "",
    ]
    for regime in REGIMES:
        s = summ.get(regime)
        if s:
            verdict = _verdict(s, [
                f"{c} ({_size_label(n, b)}: {r}{_against_formula(f)})"
                for c, n, b, r, f in s["misses"]
            ])
            lines.append(
                f"- {regime}: worst median ratio {s['worst_ratio']:.3f} ({s['case']}, "
                f"{_size_label(s['n'], s['batch'])}); target <= {s['target']}: {verdict}"
            )
    if "control" in summ:
        lines.append(
            f"- noise floor (the control case, identical code on both sides): medians up to "
            f"{summ['control']['largest_deviation']:.3f} away from 1, interquartile ranges up to "
            f"{summ['control']['widest_iqr']:.3f} wide"
        )
    if "memory" in summ:
        s = summ["memory"]
        verdict = _verdict(s, [
            f"{c} ({regime}: {r}{_against_formula(f)})" for c, regime, r, f in s["misses"]
        ])
        lines.append(
            f"- peak memory: worst ratio {s['worst_ratio']:.2f} ({s['case']}, {s['regime']}); "
            f"target <= {s['target']}: {verdict}"
        )
    for kind in walks:
        s = summ[f"walk {kind}"]
        lines.append(
            f"- dependency walk ({kind}): fitted exponent {s['exponent']:.2f}; target <= "
            f"{s['target']}: {'met' if s['met'] else 'MISSED'}"
        )
    sizes = sorted({(r.n, r.batch) for r in rows})
    for regime in REGIMES:
        regime_rows = {(r.case, r.n, r.batch): r for r in rows if r.regime == regime}
        if not regime_rows:
            continue
        lines += [
            "", f"## {regime}: median ratio [q1, q3]", "",
            "| case | " + " | ".join(_size_label(n, b) for n, b in sizes) + " |",
            "|---|" + "---|" * len(sizes),
        ]
        for name in dict.fromkeys(r.case for r in rows):
            cells = []
            for n, b in sizes:
                r = regime_rows.get((name, n, b))
                cells.append(
                    f"{r.ratio_median:.2f} [{r.ratio_q1:.2f}, {r.ratio_q3:.2f}]" if r else "-"
                )
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if formula_rows:
        lines += [
            "", "## Misses measured against the legacy formula written by hand", "",
            "Where the package misses a target against the hand-written TFP code and the legacy "
            "formula computes differently (see `legacy_formula` in `cases.py`), the same cell "
            "is timed again against that formula written by hand in TF2/TFP.", "",
            "| case | regime | size | against hand-written TFP | against the legacy formula |",
            "|---|---|---|---|---|",
        ]
        tfp_ratio = {(r.case, r.regime, r.n, r.batch): r for r in rows}
        for f in formula_rows:
            r = tfp_ratio[(f.case, f.regime, f.n, f.batch)]
            lines.append(
                f"| {f.case} | {f.regime} | {_size_label(f.n, f.batch)} | "
                f"{r.ratio_median:.2f} [{r.ratio_q1:.2f}, {r.ratio_q3:.2f}] | "
                f"{f.ratio_median:.2f} [{f.ratio_q1:.2f}, {f.ratio_q3:.2f}] |"
            )
    smallest = sizes[0]
    lines += [
        "", f"## First call at {_size_label(*smallest)} (ms): trace (and XLA compile) plus one run",
        "", "Warm calls for comparison; the first-call cost is not a target.", "",
        "| case | regime | package first | hand-written first | package warm | hand-written warm |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if (r.n, r.batch) == smallest:
            lines.append(
                f"| {r.case} | {r.regime} | {r.package_first_ms:.1f} | {r.handwritten_first_ms:.1f}"
                f" | {r.package_ms:.3f} | {r.handwritten_ms:.3f} |"
            )
    if memory:
        m0 = memory[0]
        lines += [
            "", f"## Peak memory at {_size_label(m0['n'], m0['batch'])} (MiB above the inputs)",
            "", "Growth of the resident set during one call, above what was resident before it "
            "(inputs included), in a child process per case with oneDNN's caching allocator off "
            "(TF_ENABLE_ONEDNN_OPTS=0) so that freed tensors leave the resident set. One float32 "
            f"tensor of this size is {m0['n'] * m0['batch'] * 4 / 2**20:.0f} MiB. The median of up "
            "to five calls per side, with the range where calls differ (the graph executor's "
            "schedule decides which tensors are live together). Legacy formula: the legacy "
            "formula written by hand, where it computes differently.", "",
            "| case | regime | package | hand-written | ratio | legacy formula | ratio |",
            "|---|---|---|---|---|---|---|",
        ]
        for m in memory:
            ranges = m["ranges_mib"]
            formula = (
                f"{_mib(m['formula_mib'], ranges[2])} | {m['formula_ratio']:.2f}"
                if "formula_mib" in m else "- | -"
            )
            lines.append(
                f"| {m['case']} | {m['regime']} | {_mib(m['package_mib'], ranges[0])} | "
                f"{_mib(m['handwritten_mib'], ranges[1])} | {m['ratio']:.2f} | {formula} |"
            )
    for kind, walk in walks.items():
        lines += [
            "", f"## Dependency walk build time: `{kind}` on chains of diamonds", "",
            "A v1 graph: one stochastic tensor, then a chain of diamonds (3 ops each) to the loss; "
            "the first call of the op on it, and the median of three more; each the median over "
            "three graphs built anew.", "",
            "| graph ops | first call s | warm call s |", "|---|---|---|",
        ]
        lines += [
            f"| {p['ops']} | {p['first_call_s']:.3f} | {p['warm_call_s']:.3f} |"
            for p in walk["points"]
        ]
        lines.append(
            f"\nFitted exponent (first call): {walk['exponent']:.2f}; warm calls: "
            f"{walk['warm_exponent']:.2f}. Target <= {WALK_TARGET}."
        )
    lines += [
        "", "## Equality self-check (before timing)", "",
        "Both sides on n = 1000 x 3 in every regime: same shapes and dtypes; values equal within "
        "the case's tolerance (cases that sample inside the function: in eager, same seed). Ops "
        "each side traces in tf.function.", "",
        "| case | max relative difference | traced ops (package / hand-written) |",
        "|---|---|---|",
    ]
    for c in checks:
        lines.append(
            f"| {c['case']} | {c['max_relative_difference']:.1e} | "
            f"{c['traced_ops'][0]} / {c['traced_ops'][1]} |"
        )
    lines += [
        "", "## All cells", "",
        "Samples x calls: interleaved timing samples per side, each of that many back-to-back "
        "calls. CPU ratio: the median ratio of process CPU times, which other processes on the "
        "machine do not inflate. Times are medians of one call.", "",
        "| case | regime | size | samples x calls | ratio | [q1, q3] | CPU ratio | package ms "
        "| hand-written ms | first call ms (pkg / hand) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.case} | {r.regime} | {_size_label(r.n, r.batch)} | {r.reps} x "
            f"{r.calls_per_sample} | {r.ratio_median:.3f} | [{r.ratio_q1:.3f}, {r.ratio_q3:.3f}] "
            f"| {r.cpu_ratio_median:.3f} | {r.package_ms:.3f} | {r.handwritten_ms:.3f} | "
            f"{r.package_first_ms:.1f} / {r.handwritten_first_ms:.1f} |"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- main


def _print_row(row: Row, prefix: str = "") -> None:
    print(f"{prefix}{row.case:40s} {row.regime:8s} {_size_label(row.n, row.batch):9s} "
          f"ratio {row.ratio_median:.3f} [{row.ratio_q1:.3f}, {row.ratio_q3:.3f}]"
          f" cpu {row.cpu_ratio_median:.3f}  {row.package_ms:9.3f} / {row.handwritten_ms:9.3f} ms "
          f"({row.reps} x {row.calls_per_sample})", flush=True)


def main(argv: Sequence[str] = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, short budget")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds of timing per cell (default 2; quick 0.3)")
    parser.add_argument("--cases", nargs="*", default=None, help="subset of case names")
    parser.add_argument("--regimes", nargs="*", default=list(REGIMES), choices=REGIMES)
    parser.add_argument("--no-walk", action="store_true", help="skip the dependency-walk scaling")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory children")
    parser.add_argument("--memory-child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help="markdown report path")
    parser.add_argument("--json", default=None, help="machine-readable results path")
    args = parser.parse_args(argv)
    if args.memory_child:
        name, n, batch, regimes = args.memory_child
        memory_child(name, int(n), int(batch), regimes.split(","))
        return
    warnings.simplefilter("ignore", BayesflowDeprecationWarning)
    started, load_start = time.time(), [round(x, 2) for x in os.getloadavg()]
    if args.quick:
        sizes, batches, walk_sizes = (1000, 10_000), (1, 10), (1000, 3000, 10_000)
    else:
        sizes, batches = (1000, 100_000, 1_000_000), (1, 100)
        walk_sizes = (1000, 3000, 10_000, 30_000, 100_000)
    plan = Plan(
        budget_s=args.budget or (0.3 if args.quick else 2.0),
        min_sample_s=0.025,
        min_reps=7,
        max_reps=301,
        max_spread=0.10,
        extra_s=60.0,
    )
    names = args.cases or list(cases.CASES)
    checks = []
    for name in names:
        checks.append(check_case(cases.CASES[name]))
        print(f"check {name:40s} ok: max relative difference "
              f"{checks[-1]['max_relative_difference']:.1e}, traced ops "
              f"{checks[-1]['traced_ops']}", flush=True)
    rows, formula_rows = [], []
    for name in names:
        case = cases.CASES[name]
        for regime in args.regimes:
            for n in sizes:
                for batch in batches:
                    row = measure(case, regime, n, batch, plan)
                    rows.append(row)
                    _print_row(row)
                    if row.ratio_median > TARGETS[regime] and case.legacy_formula is not None:
                        formula_case = dataclasses.replace(case, handwritten=case.legacy_formula)
                        formula_rows.append(measure(formula_case, regime, n, batch, plan))
                        _print_row(formula_rows[-1], "  against the legacy formula:")
    memory = []
    if args.no_memory or not _can_measure_memory():
        print("peak memory: not measured", flush=True)
    else:
        for name in (name for name in names if not cases.CASES[name].control):
            peaks = peak_memory(name, sizes[-1], batches[-1], args.regimes)
            memory += _memory_rows(name, sizes[-1], batches[-1], peaks)
            print(f"memory {name:40s} " + "  ".join(
                f"{regime} " + " / ".join(f"{statistics.median(p):.0f}" for p in sides) + " MiB"
                for regime, sides in peaks.items()), flush=True)
    walks = {} if args.no_walk else {kind: walk_scaling(kind, walk_sizes) for kind in cases.WALKS}
    summ = summary(rows, formula_rows, walks, memory)
    meta = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": shlex.join(["python", "benchmarks/run.py", *(argv or sys.argv[1:])]),
        "minutes": (time.time() - started) / 60.0,
        "load_start": load_start,
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "machine": _machine(),
        "plan": dataclasses.asdict(plan),
    }
    report = _markdown(meta, checks, rows, formula_rows, memory, walks, summ)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "summary": summ, "checks": checks,
                       "rows": [dataclasses.asdict(r) for r in rows],
                       "formula_rows": [dataclasses.asdict(r) for r in formula_rows],
                       "memory": memory,
                       "walks": walks}, f, indent=1)


if __name__ == "__main__":
    main()
