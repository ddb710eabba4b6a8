"""Columns that line up in a terminal when they hold Korean: width measured in terminal cells, not in
characters (a Hangul syllable takes two cells, so `f"{name:<22}"` misaligns every row with a Korean name).

Unicode's East Asian Width says how wide a character is drawn: wide (W) and fullwidth (F) take two cells;
combining marks, Hangul vowel and final-consonant jamo that join the syllable before them, and format
characters take none; everything else, ambiguous (A) ones included, one — what wcwidth and most terminals do.
"""

import unicodedata

ELLIPSIS = "…"  # one cell


def _cells(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf", "Cc"):
        return 0
    if "\u1160" <= char <= "\u11ff" or "\ud7b0" <= char <= "\ud7ff":
        return 0  # conjoining jungseong / jongseong: drawn inside the syllable they follow
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def width(text: str) -> int:
    """How many terminal cells `text` takes."""
    return sum(_cells(c) for c in text)


def clip(text: str, cells: int) -> str:
    """`text` cut to at most `cells` cells, with an ellipsis where it was cut."""
    if width(text) <= cells:
        return text
    out, used = [], 0
    for char in text:
        size = _cells(char)
        if used + size > cells - width(ELLIPSIS):
            break
        out.append(char)
        used += size
    return "".join(out) + ELLIPSIS


def left(text: str, cells: int) -> str:
    """`text` clipped to `cells` cells and padded on the right to exactly that many."""
    text = clip(text, cells)
    return text + " " * (cells - width(text))


def right(text: str, cells: int) -> str:
    """`text` clipped to `cells` cells and padded on the left to exactly that many."""
    text = clip(text, cells)
    return " " * (cells - width(text)) + text
