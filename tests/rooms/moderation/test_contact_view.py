"""The contact view: spelled numbers as digits, letters typed one by one joined, masks on the original text."""

from __future__ import annotations

from rooms.moderation.contact_view import contact_view


def test_contact_view_joins_letters_typed_one_by_one() -> None:
    assert contact_view("a l i c e @ g m a i l . c o m").folded == "alice@gmail.com"
    assert contact_view("0 6 1 2 3 4").folded == "0 6 1 2 3 4"  # digits stay for the phone finder


def test_contact_view_masks_the_original_characters() -> None:
    text = "call zéro six, trente-quatre ok"
    view = contact_view(text)
    assert view.folded == "call 0 6, 34 ok"
    assert view.mask([(5, 12)], "[hidden]") == "call [hidden] ok"
