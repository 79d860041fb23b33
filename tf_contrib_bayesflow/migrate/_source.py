"""Exact source positions and span edits: how the codemod changes text without reprinting it.

`ast` reports positions as (line, UTF-8 byte column); `Source` turns them into offsets into the
decoded text. `Edits` collects replacements and insertions at those offsets and applies them in
one pass, so everything the codemod does not touch (layout, comments, quoting) stays byte for
byte as the user wrote it.
"""
import ast
from typing import List, NamedTuple, Optional, Sequence, Tuple

Span = Tuple[int, int]


def split_lines(text: str) -> List[str]:
    """Splits like Python's tokenizer: on `\\r\\n`, `\\r` and `\\n` only, keeping the ends."""
    lines = []
    start = 0
    length = len(text)
    while start < length:
        newline = text.find("\n", start)
        carriage = text.find("\r", start, newline if newline >= 0 else length)
        if carriage >= 0:
            end = carriage + 2 if text.startswith("\r\n", carriage) else carriage + 1
        elif newline >= 0:
            end = newline + 1
        else:
            end = length
        lines.append(text[start:end])
        start = end
    return lines


class Source:
    """A module's text with the line table needed to map `ast` positions to offsets."""

    def __init__(self, text: str):
        self.text = text
        self.lines = split_lines(text)
        self.line_starts = [0]
        for line in self.lines:
            self.line_starts.append(self.line_starts[-1] + len(line))
        self.newline = next(
            (line[len(line.rstrip("\r\n")):] for line in self.lines if line.endswith(("\r", "\n"))),
            "\n",
        )

    def line(self, lineno: int) -> str:
        """Line `lineno` (1-based) without its line ending; '' past the end."""
        if lineno > len(self.lines):
            return ""
        return self.lines[lineno - 1].rstrip("\r\n")

    def offset(self, lineno: int, byte_column: int) -> int:
        line = self.line(lineno)
        start = self.line_starts[lineno - 1] if lineno <= len(self.lines) else len(self.text)
        if line.isascii():
            return start + byte_column
        return start + len(line.encode("utf-8")[:byte_column].decode("utf-8"))

    def span(self, node: ast.AST) -> Span:
        return (
            self.offset(node.lineno, node.col_offset),
            self.offset(node.end_lineno, node.end_col_offset),
        )

    def line_start(self, lineno: int) -> int:
        return self.line_starts[lineno - 1]

    def line_end(self, lineno: int) -> int:
        """Offset just before line `lineno`'s line ending."""
        return self.line_start(lineno) + len(self.line(lineno))

    def indent(self, lineno: int) -> str:
        line = self.line(lineno)
        return line[: len(line) - len(line.lstrip(" \t\f"))]

    def starts_line(self, node: ast.AST) -> bool:
        """Whether only whitespace precedes `node` on its first line."""
        start = self.span(node)[0]
        return not self.text[self.line_start(node.lineno):start].strip()

    def ends_line(self, node: ast.AST) -> bool:
        """Whether only whitespace or a comment follows `node` on its last line."""
        end = self.span(node)[1]
        rest = self.text[end:self.line_end(node.end_lineno)].strip()
        return not rest or rest.startswith("#")

    def comments_above(self, lineno: int) -> List[str]:
        """The block of comment-only lines directly above line `lineno`, stripped."""
        comments = []
        for above in range(lineno - 1, 0, -1):
            stripped = self.line(above).strip()
            if not stripped.startswith("#"):
                break
            comments.append(stripped)
        return comments


class Replacement(NamedTuple):
    start: int
    end: int
    text: str
    # Sub-spans of the original text that reappear (re-rendered) inside `text`.
    kept: Tuple[Span, ...]


class Edits:
    """Non-overlapping replacements (an outer one may absorb inner ones) plus insertions."""

    def __init__(self, source: Source):
        self.source = source
        self._replacements: List[Replacement] = []
        self._history: List[Replacement] = []
        self._insertions: List[Tuple[int, int, str]] = []

    def render(self, span: Span) -> str:
        """The text of `span` with the replacements already made inside it applied."""
        start, end = span
        pieces = []
        position = start
        for edit in sorted(self._replacements):
            if start <= edit.start and edit.end <= end:
                pieces.append(self.source.text[position:edit.start])
                pieces.append(edit.text)
                position = edit.end
        pieces.append(self.source.text[position:end])
        return "".join(pieces)

    def replace(self, span: Span, text: str, kept: Sequence[Span] = ()) -> None:
        """Replaces `span`; earlier replacements inside it must have been rendered into `text`."""
        start, end = span
        inner = []
        for edit in self._replacements:
            if start <= edit.start and edit.end <= end and (edit.start, edit.end) != (start, end):
                inner.append(edit)
            elif edit.start < end and start < edit.end:
                raise AssertionError(f"overlapping edits {span} and {(edit.start, edit.end)}")
        self._replacements = [edit for edit in self._replacements if edit not in inner]
        edit = Replacement(start, end, text, tuple(kept))
        self._replacements.append(edit)
        self._history.append(edit)

    def insert(self, offset: int, text: str) -> None:
        """Inserts `text` at `offset`; insertions at one offset keep their order."""
        self._insertions.append((offset, len(self._insertions), text))

    def removed(self, span: Span) -> bool:
        """Whether the original text at `span` no longer appears in the result."""
        start, end = span
        for edit in self._history:
            if edit.start <= start and end <= edit.end:
                if not any(k_start <= start and end <= k_end for k_start, k_end in edit.kept):
                    return True
        return False

    def survives(self, span: Span) -> bool:
        """Whether the replacement made at exactly `span` reaches the result."""
        if any((edit.start, edit.end) == span for edit in self._replacements):
            return True
        for edit in self._history:
            if (edit.start, edit.end) != span and edit.start <= span[0] and span[1] <= edit.end:
                kept = any(k_start <= span[0] and span[1] <= k_end for k_start, k_end in edit.kept)
                return kept and self.survives((edit.start, edit.end))
        return False

    def __bool__(self) -> bool:
        return bool(self._replacements or self._insertions)

    def apply(self) -> str:
        text = self.source.text
        pieces = []
        position = 0
        events: List[Tuple[int, int, int, Optional[Replacement], str]] = [
            (offset, 0, order, None, inserted) for offset, order, inserted in self._insertions
        ]
        events += [(edit.start, 1, 0, edit, "") for edit in self._replacements]
        for offset, _, _, edit, inserted in sorted(events, key=lambda event: event[:3]):
            if offset < position:
                raise AssertionError(f"edit at {offset} falls inside an earlier replacement")
            pieces.append(text[position:offset])
            position = offset
            if edit is None:
                pieces.append(inserted)
            else:
                pieces.append(edit.text)
                position = edit.end
        pieces.append(text[position:])
        return "".join(pieces)
