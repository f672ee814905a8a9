"""Every check, registered in one list (registry.CHECKS) by importing each module of this package: a new module of
checks needs no line here."""

import importlib
import pkgutil

from .registry import CHECKS, Check, Failed

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["CHECKS", "Check", "Failed"]
