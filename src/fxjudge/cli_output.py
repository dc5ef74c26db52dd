"""Terminal output for the CLI: user text is always printed as text, never as Rich markup.

A path or value holding ``[bold]`` or ``[/]`` would otherwise be taken for markup (mangled, or
a crash), and messages naming the run file's ``[costs]`` table would lose it. Both consoles
have markup off; colour comes only from `say`'s explicit styles.

The API warns with Python's `warnings` (a notebook shows them); the CLI collects those
(`collected_warnings`) and prints each once as a ``WARNING:`` line (`say_warning`), not as
Python's two-line ``path:line: UserWarning`` display.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.text import Text

console = Console(highlight=False, soft_wrap=True, markup=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def say(*parts: str | tuple[str, str], stderr: bool = False) -> None:
    """Print one line from plain strings and (text, style) pairs, e.g. ``("wrote", "green")``."""
    (errors if stderr else console).print(Text.assemble(*parts))


def label(text: str, style: str = "bold") -> Text:
    """A styled table cell or heading."""
    return Text(text, style=style)


def say_warning(text: str) -> None:
    """One loud warning line: ``WARNING:`` in bold red, the text in yellow."""
    say(("WARNING:", "bold red"), " ", (text, "yellow"))


@contextmanager
def collected_warnings() -> Iterator[list[str]]:
    """Collect the `UserWarning` messages raised inside the block, each once, in order.

    Other warnings are shown as usual (and the filters that turn them into errors still do).
    """
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        yield messages
    for warning in caught:
        if issubclass(warning.category, UserWarning):
            if str(warning.message) not in messages:
                messages.append(str(warning.message))
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename,
                                 warning.lineno)
