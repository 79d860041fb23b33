"""The command line: argument parsing, file discovery, reporting and exit status."""
import argparse
import difflib
import io
import os
import sys
import tokenize
from typing import Iterator, List, Optional, Sequence, Tuple

from tf_contrib_bayesflow.migrate._source import split_lines
from tf_contrib_bayesflow.migrate._transform import migrate

EXIT_NOTHING_TO_DO = 0
EXIT_CHANGES_PENDING = 1
EXIT_FAILED = 2

_DESCRIPTION = """\
Rewrites legacy tf.contrib.bayesflow code so that it runs on TensorFlow 2 with
tf_contrib_bayesflow (--port), or so that it calls TensorFlow Probability wherever an exact
equivalent exists (--modernize). Files are parsed, never imported or run. Layout and comments
are kept: only the edited spans change.

modes:
  --port       (default) in files that are TF1 code: `import tensorflow as tf` becomes
               `import tensorflow.compat.v1 as tf` + `tf.disable_v2_behavior()`; where the file
               uses tf.contrib.bayesflow or tf.contrib.distributions, `import
               tf_contrib_bayesflow` + `tf_contrib_bayesflow.install()` follow. Nothing else.
  --modernize  the port, plus: calls with an exact TFP equivalent are rewritten (sample-form
               monte_carlo.expectation -> tfp.monte_carlo.expectation, _logspace_mean ->
               tfp.math.reduce_logmeanexp, entropy_shannon(p, form=analytic_entropy) ->
               p.entropy(), ...); every other legacy call gets a comment line above it linking
               to the migration guide. install() is added only if legacy code remains.

actions:
  --diff (default) print a unified diff; --check list the files that would change;
  --write rewrite the files in place. --diff and --check write nothing.
"""

_EPILOG = """\
exit status:
  0  every file was read and parsed, and nothing is left to change (after --write: all
     changes were written)
  1  --check or --diff: at least one file would change
  2  at least one path could not be read, decoded or parsed (for example Python 2 code: run
     2to3 first), or the command line was wrong; the other files are still processed
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tf_contrib_bayesflow.migrate",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--port", dest="mode", action="store_const", const="port",
        help="minimal rewrite to run on TF2 with tf_contrib_bayesflow (default)",
    )
    mode.add_argument(
        "--modernize", dest="mode", action="store_const", const="modernize",
        help="also rewrite calls with an exact TFP equivalent; comment the others",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--diff", dest="action", action="store_const", const="diff",
        help="print a unified diff of the changes (default); writes nothing",
    )
    action.add_argument(
        "--check", dest="action", action="store_const", const="check",
        help="list the files that would change; writes nothing",
    )
    action.add_argument(
        "--write", dest="action", action="store_const", const="write",
        help="rewrite the files in place",
    )
    parser.set_defaults(mode="port", action="diff")
    parser.add_argument(
        "paths", nargs="+", metavar="PATH",
        help="Python files, or folders searched recursively for *.py (hidden folders and "
        "__pycache__ are skipped)",
    )
    return parser


def _python_files(paths: Sequence[str]) -> Iterator[Tuple[str, Optional[str]]]:
    """Yields (path, None) for each file to process and (path, error) for bad paths."""
    seen = set()
    for path in paths:
        if os.path.isdir(path):
            found = []
            for root, folders, files in os.walk(path):
                folders[:] = sorted(
                    f for f in folders if not f.startswith(".") and f != "__pycache__"
                )
                found += [os.path.join(root, name) for name in sorted(files)
                          if name.endswith(".py")]
        elif os.path.exists(path):
            found = [path]
        else:
            yield path, "no such file or folder"
            continue
        for name in found:
            key = os.path.realpath(name)
            if key not in seen:
                seen.add(key)
                yield name, None


def _read(path: str) -> Tuple[str, str]:
    """The decoded text (newlines untouched) and the encoding to write it back with."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding), encoding
    except SyntaxError as error:  # what detect_encoding raises
        reason = error.msg
    except UnicodeDecodeError as error:
        reason = f"not valid {encoding} (byte {error.start})"
    raise ValueError(
        f"cannot decode: {reason}; Python 2 files often lack an encoding declaration: add one "
        "(e.g. `# -*- coding: latin-1 -*-`) or convert the file to UTF-8"
    )


def _diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(split_lines(old), split_lines(new), path, path)
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    modernize = args.mode == "modernize"
    changed: List[str] = []
    unchanged = failed = 0
    for path, problem in _python_files(args.paths):
        if problem is None:
            try:
                old, encoding = _read(path)
                result = migrate(old, modernize)
            except OSError as error:
                problem = f"cannot read: {error}"
            except ValueError as error:  # undecodable, or a ParseError
                problem = str(error)
            except AssertionError as error:
                problem = f"internal error, file left unchanged (please report): {error}"
        if problem is not None:
            print(f"{path}: {problem}", file=sys.stderr)
            failed += 1
            continue
        for note in result.notes:
            print(f"{path}:{note.lineno}: note: {note.message}", file=sys.stderr)
        if result.text == old:
            unchanged += 1
            continue
        changed.append(path)
        if args.action == "diff":
            sys.stdout.write(_diff(path, old, result.text))
        elif args.action == "check":
            print(f"would rewrite {path}")
        else:
            try:
                with open(path, "wb") as file:
                    file.write(result.text.encode(encoding))
            except OSError as error:
                print(f"{path}: cannot write: {error}", file=sys.stderr)
                changed.pop()
                failed += 1
                continue
            print(f"rewrote {path}")
    verb = "rewritten" if args.action == "write" else "would be rewritten"
    print(
        f"{len(changed)} file(s) {verb}, {unchanged} unchanged, {failed} failed "
        f"({args.mode})",
        file=sys.stderr,
    )
    if failed:
        return EXIT_FAILED
    if changed and args.action != "write":
        return EXIT_CHANGES_PENDING
    return EXIT_NOTHING_TO_DO
