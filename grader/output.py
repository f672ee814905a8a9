"""What a cell printed, as the text a student would read: the beginning and the end of a flood, progress bars as a
terminal leaves them, displays by their readable form and each on a line of its own."""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

LEFT_OUT = "\n... (output left out) ...\n"
PLACEHOLDER_REPR = re.compile(r"<[\w.]+ object>")  # what IPython shows for a rich display without a text form
BLOCK_TAGS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table"}


@dataclass
class CappedText:
    """The first and the last characters of a text, `limit` of them together; what lies between is dropped as it
    arrives, so that a flood of output costs no memory and what it ends with (a final result) is kept."""

    limit: int
    head: str = ""
    tail: str = ""
    left_out: bool = False

    def add(self, text: object) -> None:
        if not isinstance(text, str):
            return
        room = self.limit // 2 - len(self.head)
        if room > 0:
            self.head, text = self.head + text[:room], text[room:]
        keep = self.limit - self.limit // 2
        if text:
            self.tail += text[-keep - 1 :]  # at most one more than kept: enough to know that something was dropped
            self.left_out = self.left_out or len(self.tail) > keep
            self.tail = self.tail[-keep:]

    def add_block(self, text: str) -> None:
        """A display: on lines of its own, as a notebook shows it below the text printed before it."""
        last = (self.tail or self.head)[-1:]
        self.add(("\n" if last not in ("", "\n") else "") + text + ("" if text.endswith("\n") else "\n"))

    def text(self) -> str:
        return as_terminal(self.head + (LEFT_OUT if self.left_out else "") + self.tail)


def as_terminal(text: str) -> str:
    """The text as a terminal shows it: a carriage return (progress bars) starts its line over."""
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n"))


def display_text(data: dict) -> str | None:
    """A display's readable form: text/plain unless it only names the object (`<IPython.core.display.HTML object>`),
    else its Markdown, else its HTML without tags; None for what has no text (an image)."""
    plain = data.get("text/plain")
    if isinstance(plain, str) and not PLACEHOLDER_REPR.fullmatch(plain.strip()):
        return plain
    if isinstance(data.get("text/markdown"), str):
        return data["text/markdown"]
    if isinstance(data.get("text/html"), str):
        return html_text(data["text/html"])
    return None


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML fragment, a line per block."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return re.sub(r"\n\s*\n+", "\n", "".join(parser.parts)).strip()
