"""How a consent text reads on screen: its paragraphs, with the author's hard wraps undone.

Texts are often pasted from a word processor or a plain-text file wrapped at 80 columns. A
blank line parts paragraphs; a line that starts a numbered or bulleted item starts a new one;
any other line break is a wrap and reads as a space, so the browser wraps to the screen.
"""

import re

ITEM_START = re.compile(r"^\s*(\d+[.)]|[-*•·]|[가-힣][.)])\s")


def consent_paragraphs(text: str) -> list[str]:
    paragraphs: list[list[str]] = []
    fresh = True
    for line in text.splitlines():
        if not line.strip():
            fresh = True
            continue
        if fresh or ITEM_START.match(line):
            paragraphs.append([])
        paragraphs[-1].append(line.strip())
        fresh = False
    return [" ".join(lines) for lines in paragraphs]
