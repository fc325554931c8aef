"""The plotting package re-exports every topic module with `*`: public names must not shadow each other."""

import importlib
import pkgutil

import ipflow_lib.plotting as plotting


def test_public_names_are_unique_across_plotting_modules():
    seen = {}
    for info in pkgutil.iter_modules(plotting.__path__):
        module = importlib.import_module(f"ipflow_lib.plotting.{info.name}")
        for name in getattr(module, "__all__", []):
            assert name not in seen, f"{name} is exported by both {seen[name]} and {info.name}"
            seen[name] = info.name
            assert getattr(plotting, name) is getattr(module, name)
