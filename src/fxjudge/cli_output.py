"""Terminal output for the CLI: user text is always printed as text, never as Rich markup.

A path or value holding ``[bold]`` or ``[/]`` would otherwise be taken for markup (mangled, or
a crash), and messages naming the run file's ``[costs]`` table would lose it. Both consoles
have markup off; colour comes only from `say`'s explicit styles.
"""

from __future__ import annotations

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
