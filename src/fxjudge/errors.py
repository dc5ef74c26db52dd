"""The one error hierarchy of fxjudge.

A `FxJudgeError` is a user error: the CLI prints it as one red line and exits with code 2.
Anything else is a bug: a traceback and exit code 1 (see `fxjudge.cli.main`).

Message grammar: say what is wrong, where, and the fix, e.g.
``data/x.csv, line 1043: high 1.10210 is below open 1.10250; correct or delete that row``
or ``` `spread_pips` must be >= 0, was -1 ```.
"""

from __future__ import annotations

from pathlib import Path


class FxJudgeError(Exception):
    """Base of every error a user can cause and fix."""


class DataError(FxJudgeError):
    """Bad or unreadable input data.

    `path` and `where` ("line 1043", "record 17") name the place; `fix` says what to do.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        where: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.where = where
        self.fix = fix
        place = ", ".join(p for p in (self.path, where) if p)
        text = f"{place}: {message}" if place else message
        if fix:
            text = f"{text}; {fix}"
        super().__init__(text)


class ConfigError(FxJudgeError):
    """A bad parameter, option or configuration file."""


class StrategyError(FxJudgeError):
    """A strategy that cannot be found, loaded or run."""


class ModelError(FxJudgeError):
    """A judge model that cannot be trained, loaded or applied."""


def must(name: str, constraint: str, value: object) -> ConfigError:
    """Build the standard parameter error: `` `name` must be constraint, was value``."""
    return ConfigError(f"`{name}` must be {constraint}, was {value!r}")


def missing_spread(what: str = "the bars have no 'spread' column") -> ConfigError:
    """The error for prices without a spread: names the key, the flag and the run-file key."""
    return ConfigError(f"`spread_pips` must be set when {what}: pass --spread-pips PIPS on the "
                       "command line, spread_pips in the run file's [costs], or "
                       "costs={'spread_pips': ...} in Python; was None")
