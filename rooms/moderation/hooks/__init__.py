"""The built-in hooks, one module each, registered as default plug-ins under these names (datasette's way).

Naming a module here does not import it: `create_plugin_manager` does, so settings and config can read the
names without loading every hook's patterns.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Registered exactly like third-party plug-ins, under these names, before entry points load; in default order.
DEFAULT_PLUGINS: Mapping[str, str] = MappingProxyType(
    {
        name: f"{__name__}.{name}"
        for name in ("length", "disclosure", "contact", "address", "links", "profanity", "flood", "shouting")
    }
)
DEFAULT_HOOKS: tuple[str, ...] = tuple(DEFAULT_PLUGINS)
