"""The plugin manager: built-in hooks registered as default plug-ins, third-party ones from entry points."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rooms.moderation import (
    DEFAULT_HOOKS,
    Action,
    MessageContext,
    ModerationConfig,
    ModerationOutcome,
    Moderator,
    create_plugin_manager,
    hookspecs,
)

HERE = Path(__file__).parent


def _message(text: str, at: float = 0.0) -> MessageContext:
    return MessageContext(text, None, 1, 7, 3, at)


async def test_hook_moderate_message_entry_point_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist_info = tmp_path / "bridgeway_banana-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: bridgeway-banana\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(f"[{hookspecs.ENTRY_POINT_GROUP}]\nbanana = bridgeway_banana\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(HERE / "plugin_pkg"))
    monkeypatch.delitem(sys.modules, "bridgeway_banana", raising=False)
    manager = create_plugin_manager()
    assert manager.get_plugin("banana") is not None
    moderator = Moderator(ModerationConfig(hooks=(*DEFAULT_HOOKS, "banana")), manager)
    held = await moderator.moderate(_message("I like bananas"))
    assert held == ModerationOutcome(Action.HOLD, "banana", "I like bananas", "banana")
    assert (await moderator.moderate(_message("I like apples", at=100))).action is Action.ALLOW
    not_enabled = await Moderator(ModerationConfig(), manager).moderate(_message("bananas", at=200))
    assert not_enabled.action is Action.ALLOW
