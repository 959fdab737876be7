"""Python 2 `print x` statements rewritten as `print(x)` calls on the same lines, so that a snippet pasted from an
old answer parses; found with the tokenizer, so `print` inside strings and comments is left alone.
"""

import io
import re
import tokenize

_PYTHON2_PRINT = re.compile(r"^[ \t]*print\b[ \t]*(?:[\w'\"\[{~+-]|>>|#|$)", re.MULTILINE)

_PYTHON2_PRINT_STARTS = frozenset("[ { - + ~ >>".split())


def python2_prints(source: str) -> list[tuple]:
    """Where Python 2 print statements are: (end of `print`, start of what it prints, end of the statement)."""
    at_start, print_token, pending, last_end, prints, brackets = True, None, None, (1, 0), [], 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            kind, text = token.type, token.string
            if kind == tokenize.OP and text in "([{)]}":
                brackets = max(brackets + (1 if text in "([{" else -1), 0)
            ends = kind in (tokenize.NEWLINE, tokenize.ENDMARKER) or (text == ";" and not brackets)
            if pending and ends:
                prints.append((*pending, last_end))
                pending = None
            if print_token and (
                kind in (tokenize.NAME, tokenize.NUMBER, tokenize.STRING)
                or (kind == tokenize.OP and text in _PYTHON2_PRINT_STARTS)
            ):
                pending = (print_token.end, token.start)
            elif print_token and (ends or kind == tokenize.COMMENT):  # a bare `print`: an empty line
                prints.append((print_token.end, print_token.end, print_token.end))
            if kind in (tokenize.NL, tokenize.COMMENT):
                continue
            if kind not in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                last_end = token.end
            print_token = token if at_start and kind == tokenize.NAME and text == "print" else None
            at_start = ends or kind in (tokenize.INDENT, tokenize.DEDENT)
    except (tokenize.TokenError, SyntaxError):
        pass  # the parser reports the error, with a better message
    return prints


def rewrite_prints(source: str, prints: list[tuple]) -> str:
    """`print x, y` as `print(x, y)`, on the same lines, with the columns after `print` kept where it can."""
    lines = io.StringIO(source).readlines()
    edits = []
    for (row, column), (arguments_row, arguments_column), (end_row, end_column) in prints:
        gap = arguments_column - column if arguments_row == row else 0
        edits += [(end_row, end_column, 0, ")"), (row, column, 1 if gap else 0, "(")]
    for row, column, width, text in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:column] + text + line[column + width :]
    return "".join(lines)


def rewrite_python2_prints(source: str) -> str:
    """The source with its Python 2 print statements as calls (the source itself when it has none)."""
    return rewrite_prints(source, python2_prints(source)) if _PYTHON2_PRINT.search(source) else source
