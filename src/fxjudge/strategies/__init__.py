"""The strategies that ship with fxjudge, one class per module, found by name from anywhere.

`fxjudge.signals.loader` finds them by module name (``sma_cross``, ``sma_cross:SmaCross``); a
file of the same name in a project's own ``strategies/`` folder is loaded instead, and the run
says which file ran. docs/strategies.md explains how to write one.
"""
