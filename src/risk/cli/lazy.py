"""Modules imported on first use, so that ``risk --help`` and ``risk validate`` stay fast.

mlflow, lightgbm and bentoml take seconds to import; the commands that need them reach them
through ``lazy_module`` (the standard library's ``importlib.util.LazyLoader`` recipe): the
module object exists at once, its code runs on the first attribute access.

The ``risk`` group itself is a ``LazyGroup``: each sub-command module (which imports pandas,
SQLAlchemy, ...) is imported only when that command runs or shows its own ``--help``;
``risk --help`` lists them with help read from their source.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import typer
import typer.main
from typer import _click as click  # typer >= 0.25 vendors click; its groups use these types
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup


def lazy_module(name: str) -> ModuleType:
    """``name`` as a module whose import is deferred until an attribute is used."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


@dataclass(frozen=True)
class LazyCommand:
    """A sub-command imported only when it runs or shows its own help.

    ``attribute`` in ``module`` is a command function or a ``typer.Typer`` sub-app; ``help``
    overrides the one-line help listed by ``risk --help`` (read from the source otherwise).
    """

    name: str
    module: str
    attribute: str
    help: str | None = None


def listed_help(command: LazyCommand) -> str:
    """The help ``risk --help`` lists for ``command``, read from its module's source.

    The function's docstring, or the ``help=`` given to the ``typer.Typer`` sub-app; parsing the
    source (not importing it) is what keeps ``risk --help`` from importing pandas and the rest.
    """
    if command.help is not None:
        return command.help
    spec = importlib.util.find_spec(command.module)
    if spec is None or spec.origin is None:
        raise ImportError(f"no module named {command.module!r}")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == command.attribute:
            return ast.get_docstring(node) or ""
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == command.attribute for t in node.targets)
            and isinstance(node.value, ast.Call)
        ):
            for keyword in node.value.keywords:
                if keyword.arg == "help" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return ""


def load_command(command: LazyCommand) -> click.Command:
    """Import ``command``'s module and build its click command (a group for a sub-app)."""
    target = getattr(importlib.import_module(command.module), command.attribute)
    built: click.Command
    if isinstance(target, typer.Typer):
        built = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(command.name)(target)
        built = typer.main.get_command(single)
    built.name = command.name
    if command.help is not None:
        built.help = command.help
    return built


class LazyGroup(TyperGroup):
    """A typer group whose sub-commands in ``lazy_commands`` are imported on first use.

    ``risk --help`` lists them from their source; running one (or its ``--help``) imports it.
    """

    lazy_commands: ClassVar[tuple[LazyCommand, ...]] = ()
    _listing: bool = False

    def _lazy(self, name: str) -> LazyCommand | None:
        return next((c for c in self.lazy_commands if c.name == name), None)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return [*names, *(c.name for c in self.lazy_commands if c.name not in names)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        known = super().get_command(ctx, cmd_name)
        lazy = self._lazy(cmd_name)
        if known is not None or lazy is None:
            return known
        if self._listing:
            return TyperCommand(name=cmd_name, help=listed_help(lazy))
        self.commands[cmd_name] = load_command(lazy)
        return self.commands[cmd_name]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as error:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches and "Did you mean" not in error.message:
                suggestions = ", ".join(f"{m!r}" for m in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {suggestions}?"
            raise


def lazy_group(*commands: LazyCommand) -> type[LazyGroup]:
    """A ``LazyGroup`` class carrying ``commands`` (typer instantiates the class itself)."""
    return type("RiskGroup", (LazyGroup,), {"lazy_commands": tuple(commands)})
