"""Modules imported on first use, so that ``risk --help`` and ``risk validate`` stay fast.

mlflow, lightgbm and bentoml take seconds to import; the commands that need them reach them
through ``lazy_module`` (the standard library's ``importlib.util.LazyLoader`` recipe): the
module object exists at once, its code runs on the first attribute access.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


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
