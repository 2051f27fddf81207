"""Run every benchmark module in this package and print their JSON figures."""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil

import benchmarks


def main() -> None:
    """Import each `bench_*` module and run its `async run() -> dict`."""
    for mod in pkgutil.iter_modules(benchmarks.__path__):
        if mod.name.startswith("bench_"):
            module = importlib.import_module(f"benchmarks.{mod.name}")
            print(json.dumps({mod.name: asyncio.run(module.run())}, indent=2))


if __name__ == "__main__":
    main()
