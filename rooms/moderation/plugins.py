"""The plugin manager: hook specs, the built-in hooks as default plug-ins, then third-party entry points."""

from __future__ import annotations

import importlib
from functools import cache

import pluggy

from rooms.moderation import hookspecs
from rooms.moderation.hooks import DEFAULT_PLUGINS


def create_plugin_manager(load_entrypoints: bool = True) -> pluggy.PluginManager:
    """A plugin manager with the built-in hooks registered as default plug-ins, then third-party entry points.

    Entry points come from the group "bridgeway.moderation_hooks"; each registers under its entry-point name,
    which is what a deployment lists in `ModerationConfig.hooks` to enable it. A plug-in that fails to import
    raises here, at start-up, rather than silently weakening moderation.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    for name, module_name in DEFAULT_PLUGINS.items():
        module = importlib.import_module(module_name)
        factory = getattr(module, "create_plugin", None)
        manager.register(factory() if callable(factory) else module, name=name)
    if load_entrypoints:
        manager.load_setuptools_entrypoints(hookspecs.ENTRY_POINT_GROUP)
    return manager


@cache
def default_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager used when a Moderator is given none (shared so flood state is shared too)."""
    return create_plugin_manager()
