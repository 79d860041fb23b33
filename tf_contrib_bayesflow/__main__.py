"""The demo: `python -m tf_contrib_bayesflow [--quick] [--steps N] [--only PART ...]`.

It runs the example programs of `tf_contrib_bayesflow/examples/` and prints their results next
to the known answers, in four parts:

  legacy     three TF1 programs (REINFORCE with a baseline, a VAE trained with `elbo`,
             importance sampling), legacy code plus the two porting lines, in Session mode;
             each in its own Python process, since `tf.disable_v2_behavior()` is process-wide
  tf2        the same three models in TensorFlow 2 style (`tf.function` training steps)
  dice       a second derivative through a Bernoulli sample: exact, legacy surrogate, DiCE
  estimates  legacy `monte_carlo` estimates in eager, `tf.function` and Session

Everything starts at once (the legacy programs as subprocesses, the in-process parts one after
the other in a worker thread); the output is printed section by section, in the order above,
each section's lines as soon as they arrive. A summary table closes the run; the exit status
is 1 if a program failed or a result missed its known answer.
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import time
import traceback
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import tensorflow as tf
import tensorflow_probability as tfp

import tf_contrib_bayesflow
from tf_contrib_bayesflow.examples import dice_second_derivative
from tf_contrib_bayesflow.examples import monte_carlo_estimates
from tf_contrib_bayesflow.examples import tf2_models

PARTS = ("legacy", "tf2", "dice", "estimates")
Emit = Callable[[str], None]

# RESULT name -> what the summary calls it.
LABELS = {
    "reinforce_expected_loss": "REINFORCE mask: expected loss",
    "vae_elbo_objective": "VAE (elbo): ELBO per point",
    "is_tail_probability": "importance sampling: P(X > 4)",
    "is_log_evidence": "importance sampling: log evidence",
    "legacy_first": "legacy surrogate: d/dtheta",
    "legacy_second": "legacy surrogate: d2/dtheta2 *",
    "dice_first": "DiCE: d/dtheta",
    "dice_second": "DiCE: d2/dtheta2",
    **{name: "MC " + label.split("  ")[0] for name, (label, _) in
       monte_carlo_estimates.ESTIMATES.items()},
}


class Section:
    """One titled block of output, filled by a producer thread, printed by the main thread."""

    def __init__(self, title: str, regime: str, short: str):
        self.title = title
        self.regime = regime
        self.short = short  # for the status line
        self.lines: List[str] = []
        self.error: Optional[str] = None
        self.started = time.monotonic()
        self.elapsed: Optional[float] = None
        self._changed = threading.Condition()

    def start(self) -> None:
        self.started = time.monotonic()

    def emit(self, line: str) -> None:
        with self._changed:
            self.lines.append(line)
            self._changed.notify_all()

    def finish(self, error: Optional[str] = None) -> None:
        with self._changed:
            self.error = error
            self.elapsed = time.monotonic() - self.started
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> Tuple[List[str], bool]:
        """The lines after the first `seen`, once there are any or the section is done."""
        with self._changed:
            if len(self.lines) == seen and self.elapsed is None:
                self._changed.wait(timeout)
            return self.lines[seen:], self.elapsed is not None

    def results(self) -> Dict[str, List[float]]:
        found = {}
        for line in self.lines:
            if line.startswith("RESULT "):
                name, *numbers = line.split()[1:]
                found[name] = [float(number) for number in numbers]
        return found


# ------------------------------------------------------------------------------ producers


def _program_environment() -> Dict[str, str]:
    environment = dict(os.environ)
    # The subprocesses import this very copy of the package (a checkout or an installed wheel).
    package_root = str(pathlib.Path(tf_contrib_bayesflow.__file__).resolve().parents[1])
    environment["PYTHONPATH"] = os.pathsep.join(
        [package_root] + [p for p in [environment.get("PYTHONPATH")] if p])
    environment["PYTHONUNBUFFERED"] = "1"  # progress lines as they happen
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return environment


def start_program(section: Section, module: str, arguments: Sequence[str]) -> None:
    """Runs `python -m <module> <arguments>`; its stdout lines go to the section."""
    section.start()
    process = subprocess.Popen(
        [sys.executable, "-m", module, *arguments], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=_program_environment(),
    )
    stderr: List[str] = []

    def collect():
        with process.stderr:
            stderr.extend(process.stderr)

    def follow():
        with process.stdout:
            for line in process.stdout:
                section.emit(line.rstrip("\n"))
        drain.join()
        warned = sum("BayesflowDeprecationWarning" in line for line in stderr)
        section.emit(f"(stderr: {warned} BayesflowDeprecationWarnings, one per legacy symbol, "
                     "each at the program's own line)")
        if process.wait() != 0:
            section.finish(f"exit status {process.returncode}:\n" + "".join(stderr[-30:]))
        else:
            section.finish()

    drain = threading.Thread(target=collect, daemon=True)
    drain.start()
    threading.Thread(target=follow, daemon=True).start()


def run_in_process(jobs: Sequence[Tuple[Section, Callable[[Emit], None]]]) -> None:
    """Runs the jobs one after the other (they share this process's TensorFlow)."""
    for section, job in jobs:
        section.start()
        try:
            job(section.emit)
        except Exception:  # reported in the section; the other jobs still run
            section.finish(traceback.format_exc())
        else:
            section.finish()


# ------------------------------------------------------------------------------ the plan


def plan(args: argparse.Namespace) -> Tuple[list, list]:
    """The sections, with the subprocesses to start and the in-process jobs to run."""
    quick = args.quick
    reinforce_steps = args.steps or 300
    vae_steps = args.steps or (800 if quick else 1000)
    vae_evaluations = 50 if quick else 200
    is_samples = 20_000 if quick else 100_000
    programs, jobs = [], []
    if "legacy" in args.only:
        for title, short, module, arguments in (
            ("REINFORCE with a baseline", "REINFORCE", "legacy_reinforce_bernoulli",
             ["--steps", str(reinforce_steps)]),
            ("VAE trained with elbo", "VAE", "legacy_vae_elbo",
             ["--steps", str(vae_steps), "--eval-runs", str(vae_evaluations)]),
            ("importance sampling", "IS", "legacy_importance_sampling",
             ["--num-samples", str(is_samples)]),
        ):
            section = Section(f"{title}: TF1 program, Session mode (examples/{module}.py, "
                              "own process)", "TF1 Session", "TF1 " + short)
            programs.append((section, f"tf_contrib_bayesflow.examples.{module}", arguments))
    if "tf2" in args.only:
        for title, short, job in (
            ("REINFORCE with a baseline", "REINFORCE", lambda emit: tf2_models.reinforce(
                reinforce_steps, emit=emit)),
            ("VAE trained with elbo", "VAE", lambda emit: tf2_models.vae(
                vae_steps, eval_runs=vae_evaluations, emit=emit)),
            ("importance sampling", "IS", lambda emit: tf2_models.importance_sampling(
                is_samples, emit=emit)),
        ):
            jobs.append((Section(f"{title}: TF2, tf.function steps (examples/tf2_models.py)",
                                 "TF2 tf.function", "TF2 " + short), job))
    if "dice" in args.only:
        samples = 200_000 if quick else 1_000_000
        jobs.append((Section("second derivative: exact vs legacy surrogate vs DiCE "
                             "(examples/dice_second_derivative.py)", "TF2 tf.function", "DiCE"),
                     lambda emit: dice_second_derivative.run(samples, emit=emit)))
    if "estimates" in args.only:
        n = 10_000 if quick else 100_000
        jobs.append((Section("legacy monte_carlo estimates in three regimes "
                             "(examples/monte_carlo_estimates.py)", "eager=function=Session",
                             "estimates"),
                     lambda emit: monte_carlo_estimates.run(n, emit=emit)))
    return programs, jobs


# ------------------------------------------------------------------------------ display


class Screen:
    """Prints lines; on a terminal, also a transient status line while waiting."""

    def __init__(self, sections: Sequence[Section]):
        self.sections = sections
        self.live = sys.stdout.isatty()
        self.began = time.monotonic()
        self._status = False

    def print(self, line: str = "") -> None:
        self._clear()
        print(line, flush=True)

    def status(self) -> None:
        if not self.live:
            return
        running = [section.short for section in self.sections if section.elapsed is None]
        text = "[%3.0f s] running: %s" % (time.monotonic() - self.began, ", ".join(running))
        sys.stdout.write("\r\033[K" + text[:shutil.get_terminal_size().columns - 1])
        sys.stdout.flush()
        self._status = True

    def _clear(self) -> None:
        if self._status:
            sys.stdout.write("\r\033[K")
            self._status = False


def show(screen: Screen, number: int, section: Section) -> None:
    screen.print()
    screen.print(f"== {number}/{len(screen.sections)}  {section.title}")
    seen = 0
    while True:
        lines, done = section.wait(seen, timeout=0.5)
        seen += len(lines)
        for line in lines:
            if not line.startswith("RESULT "):
                screen.print("   " + line)
        if done and not lines and len(section.lines) == seen:
            break
        if not lines:
            screen.status()
    if section.error:
        screen.print("   FAILED: " + section.error.rstrip().replace("\n", "\n   "))
    screen.print(f"   ({section.elapsed:.1f} s)")


def verdict(name: str, numbers: List[float], results: Dict[str, List[float]]) -> Tuple[bool, str]:
    """Whether a result matches its known answer, and by how much."""
    value, known, *rest = numbers
    if name == "reinforce_expected_loss":
        # As tests/test_legacy_programs.py: within 3% of the initial gap above the optimum.
        initial = results["reinforce_initial_expected_loss"][0]
        gap = (value - known) / (initial - known)
        return -1e-6 <= gap <= 0.03, f"{gap:.1%} of the initial gap"
    standard_error = rest[0]
    if name == "vae_elbo_objective":
        # A lower bound: above the maximum only by Monte Carlo error (4 standard errors), below
        # it by 0.02 nats per point of unfinished optimization at most.
        below = known - value
        ok = -4 * standard_error <= below <= 0.02 + 4 * standard_error
        return ok, (f"{below:.4f} below the bound" if below >= 0
                    else f"{-below:.4f} above it: {-below / standard_error:.1f} std err")
    z = (value - known) / standard_error
    return abs(z) <= 4, f"{z:+.1f} std err"


def summary(screen: Screen, sections: Sequence[Section]) -> bool:
    rows, all_ok = [], True
    for section in sections:
        all_ok &= section.error is None
        results = section.results()
        for name, numbers in results.items():
            if name in LABELS:
                ok, how = verdict(name, numbers, results)
                all_ok &= ok
                rows.append((LABELS[name], section.regime, "%.6g" % numbers[0],
                             "%.6g" % numbers[1], ("ok, " if ok else "MISSED, ") + how))
    header = ("model: result", "regime", "result", "known", "verdict")
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(5)]
    screen.print()
    screen.print("== Summary")
    for row in [header] + rows:
        screen.print("   " + "  ".join(
            cell.ljust(width) if i in (0, 1, 4) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths))).rstrip())
    if any(name == "legacy_second" for s in sections for name in s.results()):
        exact = dice_second_derivative.exact()["second"]
        screen.print(f"   * known: what the legacy surrogate averages to; the true value is "
                     f"{exact:.4f} (DiCE)")
    return all_ok


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tf_contrib_bayesflow",
        description=(
            "Showcase of tf_contrib_bayesflow: legacy tf.contrib.bayesflow programs run "
            "unchanged in TF1 Session mode (through install()), the same models in TF2 "
            "tf.function style, DiCE vs the legacy surrogate's second derivative, and legacy "
            "Monte Carlo estimates in eager, tf.function and Session; every result is printed "
            "next to its known answer. About half a minute on two CPU cores."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n")[1] + "\n\nThe programs run alone too: python -m "
        "tf_contrib_bayesflow.examples.<module> --help",
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="fewer samples and evaluations and a shorter VAE run, for smoke tests "
             "(all results should still match)")
    parser.add_argument(
        "--steps", type=int, metavar="N",
        help="training steps of REINFORCE and of the VAE, in both regimes (default: 300 and "
             "1000; 800 for the VAE with --quick); too few and the summary says MISSED")
    parser.add_argument(
        "--only", action="append", choices=PARTS, metavar="PART",
        help="run only this part (repeatable): %s (default: all)" % ", ".join(PARTS))
    args = parser.parse_args(argv)
    if args.steps is not None and args.steps < 1:
        parser.error("--steps must be a positive integer")
    args.only = args.only or PARTS

    # The in-process parts call legacy symbols on purpose: their once-per-symbol migration
    # warnings would interleave with the output (the programs' own are counted instead).
    warnings.filterwarnings("ignore", category=tf_contrib_bayesflow.BayesflowDeprecationWarning)
    programs, jobs = plan(args)
    sections = [section for section, *_ in programs] + [section for section, _ in jobs]
    screen = Screen(sections)
    screen.print("tf_contrib_bayesflow %s: legacy tf.contrib.bayesflow on TensorFlow %s, "
                 "TensorFlow Probability %s" % (tf_contrib_bayesflow.__version__,
                                                tf.__version__, tfp.__version__))
    screen.print("parts: %s; they run concurrently, their output follows in order"
                 % ", ".join(args.only))
    for section, module, arguments in programs:
        start_program(section, module, arguments)
    threading.Thread(target=run_in_process, args=(jobs,), daemon=True).start()
    for number, section in enumerate(sections, 1):
        show(screen, number, section)
    ok = summary(screen, sections)
    screen.print(f"   total {time.monotonic() - screen.began:.1f} s; "
                 + ("every result matches its known answer" if ok else "SOMETHING MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
