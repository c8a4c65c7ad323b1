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


def is_builtin(name: str, plugin: object) -> bool:
    """Whether `plugin`, registered as `name`, is the built-in hook of that name (a module or its `create_plugin`'s
    object), not a third-party plug-in: built-in hooks share one CPU-time timer per message (see CpuBudget)."""
    module_name = DEFAULT_PLUGINS.get(name)
    if module_name is None:
        return False
    return getattr(plugin, "__name__", None) == module_name or type(plugin).__module__ == module_name


@cache
def default_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager used when a Moderator is given none (shared so flood state is shared too)."""
    return create_plugin_manager()
