"""Codemod for legacy `tf.contrib.bayesflow` code: `python -m tf_contrib_bayesflow.migrate`.

Two rewrites of Python 3 source text, both driven by the standard library's syntax tree with
exact source spans, so layout and comments survive; the user's code is never imported or run,
and TensorFlow is not imported either.

- `port_source`: the smallest change that lets a legacy file run on TensorFlow 2 with this
  package: `import tensorflow.compat.v1 as tf` + `tf.disable_v2_behavior()` (in files that are
  TF1 code), and `import tf_contrib_bayesflow` + `tf_contrib_bayesflow.install()` where the
  file uses `tf.contrib.bayesflow` or `tf.contrib.distributions`.
- `modernize_source`: additionally replaces calls that have an exact TensorFlow Probability
  equivalent, and puts a one-line comment with a migration-guide link above each remaining one.

Both are idempotent. See `migration_guide/migrate_cli.md`.
"""
from typing import Optional, Sequence

from tf_contrib_bayesflow.migrate._transform import GUIDE_BASE_URL
from tf_contrib_bayesflow.migrate._transform import Note
from tf_contrib_bayesflow.migrate._transform import ParseError
from tf_contrib_bayesflow.migrate._transform import migrate

__all__ = [
    "GUIDE_BASE_URL",
    "Note",
    "ParseError",
    "main",
    "migrate",
    "modernize_source",
    "port_source",
]


def port_source(text: str) -> str:
    """Returns `text` with the minimal TensorFlow 2 port applied.

    Raises:
      ParseError: `text` is not Python 3 (for example, Python 2 code).
    """
    return migrate(text, modernize=False).text


def modernize_source(text: str) -> str:
    """Returns `text` ported, with exact TFP rewrites and guide comments elsewhere.

    Raises:
      ParseError: `text` is not Python 3 (for example, Python 2 code).
    """
    return migrate(text, modernize=True).text


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line; returns the exit status (0, 1 or 2, see `--help`)."""
    from tf_contrib_bayesflow.migrate import _cli

    return _cli.main(argv)
