"""Built-in `contact` hook: stop students sharing e-mail addresses, phone numbers, handles and invite links.

Everything is matched on the contact view (`contact_view`): homoglyphs, keycaps, digit scripts, spelled
numbers and spelled-out letters are already undone there. A detail split over a participant's last few messages
("07700" / "900" / "414") is caught too: the message that completes it is held for a facilitator.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator

from rooms.moderation.config import ModerationConfig
from rooms.moderation.contact_view import contact_view, contact_views
from rooms.moderation.emails import (
    AT_WORD_LIST,
    AT_WORDS,
    DOT_WORD_LIST,
    DOT_WORDS,
    SLASH_WORDS,
    SPOKEN_AT,
    find_emails,
    find_invites,
    spoken_address_hint,
)
from rooms.moderation.handles import find_handles, member_keys, plain_words_name_an_app_or_id
from rooms.moderation.hooks.links import find_links
from rooms.moderation.hookspecs import hookimpl
from rooms.moderation.normalise import letter_words
from rooms.moderation.phones import find_library_numbers, find_phone_numbers
from rooms.moderation.plain import Plain, plain_first_pass
from rooms.moderation.verdicts import Action, MessageContext, Verdict

BRIDGEWAY_INLINE = True
HIDDEN = "[hidden]"
MAX_PARTICIPANTS = 10_000  # least recently active participants are forgotten first beyond this
SPLIT_MESSAGES = 4  # the completing message and up to three before it
SPLIT_SECONDS = 120.0  # older fragments are forgotten: a number typed in pieces arrives within a minute or two
NAME_DIGITS = 5  # digits (also spelled: "zero seven seven") a pseudonym may not hold
_FRAGMENT_CHARS = 120  # only a message's tail can be the start of a detail completed by the next one

# What a piece of a split detail holds: an "@", a digit, a dotted or underscored word, a spoken "at" or "dot".
# Searched one by one, cheapest first: as one alternation the regex engine tried every branch at every character.
_DIGIT = re.compile(r"\d")
_JOINED = re.compile(r"[._](?<=\w[._])(?=\w)")  # "\w[._]\w", found from the "." or "_"
_SPOKEN = re.compile(rf"(?<!\w)(?:{AT_WORDS}|{DOT_WORDS})(?!\w)")
_SPOKEN_WORDS = frozenset((*AT_WORD_LIST, *DOT_WORD_LIST))  # letters only: a spoken word is one of `letter_words`


def _holds_a_piece(folded: str, plain: Plain | None = None) -> bool:
    if plain is not None and plain.numberless:  # no "@", digit or "\w[._]\w" there: only a spoken word can be
        return not _SPOKEN_WORDS.isdisjoint(plain.words) and _SPOKEN.search(folded) is not None
    return (
        "@" in folded
        or _DIGIT.search(folded) is not None
        or _JOINED.search(folded) is not None
        or (not _SPOKEN_WORDS.isdisjoint(letter_words(folded)) and _SPOKEN.search(folded) is not None)
    )


def _detail_impossible(plain: Plain | None) -> bool:
    """On a plain line without number words: no "at" word before a provider or spoken dot, no slash word, no word
    beginning like an app or id word. Then `find_contact_details` finds nothing: every other detail needs a digit,
    "@", "#" or "/", none of which a plain line has (test_plain.py checks it against the finders)."""
    return (
        plain is not None
        and plain.numberless
        and SLASH_WORDS.isdisjoint(plain.words)
        and (SPOKEN_AT.isdisjoint(plain.words) or not spoken_address_hint(plain.folded))
        and not plain_words_name_an_app_or_id(plain.words)
    )


# Most specific first: that order names the verdict's reason when one message has several kinds.
_REASON_ORDER = ("contact_email", "contact_invite", "contact_phone", "contact_handle")


def find_contact_details(
    folded: str, countries: tuple[str, ...] = (), members: frozenset[str] = frozenset()
) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, reason) for every contact detail in contact-view text; spans may overlap."""
    for start, end in find_emails(folded):
        yield start, end, "contact_email"
    for start, end in find_invites(folded):
        yield start, end, "contact_invite"
    phones = list(find_phone_numbers(folded))
    for start, end in phones:
        yield start, end, "contact_phone"
    for start, end in find_library_numbers(folded, countries, skip=phones):
        yield start, end, "contact_phone"
    for start, end in find_handles(folded, members):
        yield start, end, "contact_handle"


def _first_reason(reasons: Iterable[str]) -> str:
    found = set(reasons)
    return next(reason for reason in _REASON_ORDER if reason in found)


def check_message(message: MessageContext, config: ModerationConfig) -> Verdict | None:
    """The single-message check: `config.contact_action` (BLOCK, or MASK with "[hidden]") for any detail.

    A detail found only in a translation can't be located in the original text to mask, so it BLOCKs.
    """
    if _detail_impossible(plain_first_pass(message.text, message.translations)):
        return None
    members = member_keys(message.member_names)
    views = contact_views(message.text, list(message.translations.values()))
    found = list(find_contact_details(views[0].folded, message.countries, members))
    if found:
        reason = _first_reason(r for _s, _e, r in found)
        if config.contact_action is Action.MASK:
            return Verdict(Action.MASK, reason, views[0].mask(((s, e) for s, e, _r in found), HIDDEN))
        return Verdict(Action.BLOCK, reason)
    for view in views[1:]:
        reasons = [reason for _s, _e, reason in find_contact_details(view.folded, message.countries, members)]
        if reasons:
            return Verdict(Action.BLOCK, _first_reason(reasons))
    return None


def contact_in_name(name: str) -> str | None:
    """The contact reason code if a pseudonym holds a contact detail or a link, else None (checked at join)."""
    folded = contact_view(name).folded
    reasons = [reason for _s, _e, reason in find_contact_details(folded)]
    if reasons:
        return _first_reason(reasons)
    if sum(ch.isdigit() for ch in folded) >= NAME_DIGITS:
        return "contact_phone"  # a name is shown on every message: five digits, spelled or not, are too many
    if any(True for _ in find_links(folded)):
        return "link"
    return None


class ContactHook:
    """The hook with its per-participant memory of recent fragments (bounded; forgotten when they leave)."""

    BRIDGEWAY_INLINE = True

    def __init__(self, max_participants: int = MAX_PARTICIPANTS) -> None:
        self._max_participants = max_participants
        self._recent: OrderedDict[int, deque[tuple[float, str]]] = OrderedDict()

    def tracked_participants(self) -> int:
        """How many participants currently have fragments remembered (for tests)."""
        return len(self._recent)

    @hookimpl
    def moderate_message(self, message: MessageContext, config: ModerationConfig) -> Verdict | None:
        """The single-message check, then HOLD a message that completes a detail begun in the last few messages.

        The pass after translation only repeats the single-message check: the first pass remembered the text.
        """
        verdict = check_message(message, config)
        if message.translations:
            return verdict
        recent = self._history(message.participant_id)
        while recent and recent[0][0] < message.sent_at - SPLIT_SECONDS:
            recent.popleft()
        if verdict is not None:
            return verdict
        plain = plain_first_pass(message.text, message.translations)
        folded = plain.folded if plain is not None and plain.numberless else contact_view(message.text).folded
        if not _holds_a_piece(folded, plain):
            return None  # nothing here can start or finish a detail: remember nothing, check nothing
        if recent:
            earlier = " ".join(text for _at, text in recent) + " "
            members = member_keys(message.member_names)
            for start, end, reason in find_contact_details(earlier + folded, message.countries, members):
                if end > len(earlier) and start < len(earlier):
                    recent.clear()  # held: the pieces so far are not the start of another detail
                    return Verdict(Action.HOLD, reason)
        recent.append((message.sent_at, folded[-_FRAGMENT_CHARS:]))
        return None

    def _history(self, participant_id: int) -> deque[tuple[float, str]]:
        recent = self._recent.get(participant_id)
        if recent is None:
            recent = self._recent[participant_id] = deque(maxlen=SPLIT_MESSAGES - 1)
            while len(self._recent) > self._max_participants:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(participant_id)
        return recent

    @hookimpl
    def forget_participant(self, participant_id: int) -> None:
        """Drop the participant's remembered fragments."""
        self._recent.pop(participant_id, None)


def create_plugin() -> ContactHook:
    """Fresh state for each plugin manager (see `create_plugin_manager`)."""
    return ContactHook()


# Stateless single-message check under the hook's name, for callers that judge one text on its own.
moderate_message = check_message
