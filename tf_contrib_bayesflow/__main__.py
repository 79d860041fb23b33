"""The demo: `python -m tf_contrib_bayesflow [--quick]`."""
import argparse
from typing import Optional, Sequence

from tf_contrib_bayesflow.examples import monte_carlo_estimates


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tf_contrib_bayesflow",
        description=(
            "Runs legacy tf.contrib.bayesflow code on TensorFlow 2 in eager, tf.function and "
            "tf.compat.v1 Session regimes, and prints the results next to known answers."
        ),
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer samples, for a fast smoke run"
    )
    args = parser.parse_args(argv)
    monte_carlo_estimates.run(n=10_000 if args.quick else 100_000)


if __name__ == "__main__":
    main()
