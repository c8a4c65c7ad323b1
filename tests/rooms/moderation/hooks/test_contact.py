"""Tests for the built-in `contact` hook: what must be caught and what must pass, in en, es and fr."""

from __future__ import annotations

import pytest

from rooms.moderation import Action, MessageContext, ModerationConfig, Verdict
from rooms.moderation.hooks.contact import SPLIT_SECONDS, ContactHook, moderate_message

BLOCKING = ModerationConfig()
MASKING = ModerationConfig(contact_action=Action.MASK)


def _message(text: str, translations: dict[str, str] | None = None) -> MessageContext:
    return MessageContext(text, None, 1, 1, 1, 0.0, translations or {})


CAUGHT = [
    ("mail me at ana.perez@gmail.com", "contact_email"),
    ("ana perez at gmail dot com", "contact_email"),
    ("anaperez (at) hotmail (dot) fr", "contact_email"),
    ("anaperez [at] outlook [dot] es", "contact_email"),
    ("escribe a ana arroba gmail punto com", "contact_email"),
    ("c'est ana arobase yahoo point fr", "contact_email"),
    ("I'm ana_2010 at gmail", "contact_email"),
    ("a\u200bn\u200ba@gmail.com", "contact_email"),
    ("ana @ example . com", "contact_email"),
    ("call me 06 12 34 56 78", "contact_phone"),
    ("+33 6 12 34 56 78", "contact_phone"),
    ("+44 7911 123456", "contact_phone"),
    ("(555) 123-4567", "contact_phone"),
    ("0612345678", "contact_phone"),
    ("06.12.34.56.78", "contact_phone"),
    ("06-12-34-56-78", "contact_phone"),
    ("O6 12 34 56 78", "contact_phone"),
    ("my number: \u0660\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", "contact_phone"),
    ("zero six one two three four five six seven eight", "contact_phone"),
    ("mi numero es cero seis uno dos tres cuatro cinco seis siete ocho", "contact_phone"),
    ("z\u00e9ro six un deux trois quatre cinq six sept huit", "contact_phone"),
    ("0 6 1 2 3 4 5 6 7 8", "contact_phone"),
    ("follow @cool_kid99", "contact_handle"),
    ("add me on discord foo#1234", "contact_handle"),
    ("my snap is xyz_12", "contact_handle"),
    ("insta: foo.bar", "contact_handle"),
    ("my ig username is lola.m", "contact_handle"),
    ("follow me on instagram", "contact_handle"),
    ("agr\u00e9game en insta", "contact_handle"),
    ("a\u00f1\u00e1deme por whatsapp", "contact_handle"),
    ("ajoute-moi sur snap", "contact_handle"),
    ("join discord.gg/abcd", "contact_invite"),
    ("chat.whatsapp.com/KJH7xx join us", "contact_invite"),
    ("t.me/someone", "contact_invite"),
    ("wa.me/33612345678", "contact_invite"),
]
PASSES = [
    "I am 14",
    "I was born in 2010, and in 2019 I moved",
    "we are in room 204",
    "see you at 10:30",
    "le cours commence \u00e0 14h30",
    "the match ended 3-2",
    "it costs 5.99 euros",
    "12 x 4 = 48",
    "2+2=4",
    "my birthday is 12/05/2024",
    "on 12.05.2024 we visited 2024-05-12",
    "the school year 2023-2024",
    "1 2 3 4 5 6 7 8 9 10",
    "uno dos tres cuatro cinco seis siete ocho nueve diez",
    "un deux trois quatre cinq six sept huit neuf dix",
    "the city has 1 000 000 people",
    "I have 3 cats, 2 dogs and 1 fish",
    "meet me at school",
    "look at example.com/cats",
    "we are at the point where it gets hard",
    "I play roblox and minecraft every day",
    "my insta is private",
    "I love minecraft: it's fun",
    "see you @ 5pm",
    "my name is Ana and I live in Madrid",
    "what is your favourite app? I like snap",
    "\u0627\u0633\u0645\u064a \u0644\u064a\u0644\u0649 \u0639\u0645\u0631\u064a 14 \u0633\u0646\u0629",
]


@pytest.mark.parametrize(("text", "reason"), CAUGHT, ids=[text for text, _ in CAUGHT])
def test_contact_blocks_details(text: str, reason: str) -> None:
    assert moderate_message(message=_message(text), config=BLOCKING) == Verdict(Action.BLOCK, reason)


@pytest.mark.parametrize("text", PASSES, ids=PASSES)
def test_contact_passes_ordinary_numbers_and_words(text: str) -> None:
    assert moderate_message(message=_message(text), config=BLOCKING) is None


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call me 06 12 34 56 78 ok?", "call me [hidden] ok?"),
        ("mail ana.perez@gmail.com or +33 6 12 34 56 78", "mail [hidden] or [hidden]"),
        ("my snap is xyz_12 :)", "my snap is [hidden] :)"),
        ("write to ana at gmail.com!", "write to [hidden]!"),
        ("call (555) 123-4567", "call [hidden]"),
        ("\uff10\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18!", "[hidden]!"),
    ],
    ids=["phone", "email-and-phone", "handle", "spoken-at-provider", "bracketed-area-code", "fullwidth-digits"],
)
def test_contact_masks_when_configured(text: str, masked: str) -> None:
    verdict = moderate_message(message=_message(text), config=MASKING)
    assert verdict is not None
    assert (verdict.action, verdict.text) == (Action.MASK, masked)


@pytest.mark.parametrize("config", [BLOCKING, MASKING], ids=["block", "mask"])
def test_contact_in_translation_only_blocks(config: ModerationConfig) -> None:
    message = _message("mi n\u00famero: seis", {"en": "my number is 06 12 34 56 78"})
    assert moderate_message(message=message, config=config) == Verdict(Action.BLOCK, "contact_phone")


# The disguises of issue 15, each of which got through before.
DISGUISES = [
    ("0612/345/678", "contact_phone"),
    ("06,12,34,56,78", "contact_phone"),
    ("06;12;34;56;78", "contact_phone"),
    ("06|12|34|56|78", "contact_phone"),
    ("06_12_34_56_78", "contact_phone"),
    ("06~12~34~56~78", "contact_phone"),
    ("06*12*34*56*78", "contact_phone"),
    ("06:12:34:56:78", "contact_phone"),
    (
        "0\ufe0f\u20e36\ufe0f\u20e31\ufe0f\u20e32\ufe0f\u20e33\ufe0f\u20e34\ufe0f\u20e35\ufe0f\u20e36\ufe0f\u20e3",
        "contact_phone",
    ),
    ("oh seven seven double oh nine oh oh four one four", "contact_phone"),
    ("null eins f\u00fcnf eins zwo drei vier f\u00fcnf sechs", "contact_phone"),
    ("seis doce treinta y cuatro cincuenta y seis setenta y ocho", "contact_phone"),
    ("z\u00e9ro six, douze, trente-quatre, cinquante-six, soixante-dix-huit", "contact_phone"),
    ("vierunddrei\u00dfig zw\u00f6lf sechsundf\u00fcnfzig achtundsiebzig neunzehn", "contact_phone"),
    (
        "صفر ستة واحد اثنين ثلاثة أربعة خمسة",
        "contact_phone",
    ),
    ("o7700 9oo 414", "contact_phone"),
    ("ana@gm\u0430il.com", "contact_email"),
    ("ana bei gmail punkt com", "contact_email"),
    ("ana en gmail punto com", "contact_email"),
    ("ana chez gmail point com", "contact_email"),
    ("ana (at) web (punkt) de", "contact_email"),
    ("a n a p e r e z @ g m a i l . c o m", "contact_email"),
    ("mein Insta ist ana.perez", "contact_handle"),
    ("ana.perez on insta", "contact_handle"),
    ("my insta's ana.perez", "contact_handle"),
    ("sn4p: ana_perez", "contact_handle"),
    ("\u0455nap ana_perez", "contact_handle"),
    ("line id: anaperez", "contact_handle"),
    ("id de line: anaperez", "contact_handle"),
    ("wechat id ana2011", "contact_handle"),
    ("\u0633\u0646\u0627\u0628\u064a ana_perez", "contact_handle"),
    ("instagram\u3002com/ana.perez", "contact_invite"),
    ("discord(.)gg/abcd", "contact_invite"),
    ("discord point gg slash abcd", "contact_invite"),
]
ORDINARY = [
    "We won 3-2, then 4-1, then drew 2-2 and lost 0-5.",
    "Pi is 3.14159265",
    "Game of the year 2023, 2024 and 2025",
    "My snapchat streak with my cousin is 200 days lol",
    "Oh, oh, I know this one!",
    "Treinta y cuatro alumnos en mi clase",
    "Ich bin gerade bei meiner Oma.",
    "Je suis chez moi, c'est un bon point.",
    "join me at the park",
    "that was epic, what an app",
]


@pytest.mark.parametrize(("text", "reason"), DISGUISES, ids=[text for text, _ in DISGUISES])
def test_contact_blocks_disguised_details(text: str, reason: str) -> None:
    assert moderate_message(message=_message(text), config=BLOCKING) == Verdict(Action.BLOCK, reason)


@pytest.mark.parametrize("text", ORDINARY, ids=ORDINARY)
def test_contact_passes_ordinary_chat_that_looks_like_a_disguise(text: str) -> None:
    assert moderate_message(message=_message(text), config=BLOCKING) is None


def _member_message(text: str, members: tuple[str, ...]) -> MessageContext:
    return MessageContext(text, None, 1, 1, 1, 0.0, {}, member_names=members)


@pytest.mark.parametrize("text", ["@Maria did you see it?", "@maria_lopez hi", "hi @Sofia!"])
def test_contact_allows_at_names_of_room_members(text: str) -> None:
    message = _member_message(text, ("Maria", "Maria Lopez", "Sofia"))
    assert moderate_message(message=message, config=BLOCKING) is None


def test_contact_still_blocks_at_names_that_are_not_members() -> None:
    message = _member_message("follow @maria_2010", ("Maria",))
    assert moderate_message(message=message, config=BLOCKING) == Verdict(Action.BLOCK, "contact_handle")


def test_contact_checks_numbers_with_the_room_countries() -> None:
    # A UK mobile written as one run validates with the room's region, not only with the default set.
    message = MessageContext("text 07911123456", None, 1, 1, 1, 0.0, {}, countries=("GB", "FR"))
    assert moderate_message(message=message, config=BLOCKING) == Verdict(Action.BLOCK, "contact_phone")


def _feed(
    hook: ContactHook, parts: list[str], participant: int = 7, start: float = 100.0, step: float = 5.0
) -> list[Verdict | None]:
    return [
        hook.moderate_message(message=MessageContext(part, None, participant, 1, 1, start + i * step), config=BLOCKING)
        for i, part in enumerate(parts)
    ]


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        (["0770", "09", "00414"], "contact_phone"),
        (["my number is 0612", "345678"], "contact_phone"),
        (["zero six", "douze trente-quatre", "cinquante-six soixante-dix-huit"], "contact_phone"),
        (["ana.perez", "at gmail dot com"], "contact_email"),
    ],
    ids=["three-pieces", "two-pieces", "spelled-pieces", "email"],
)
def test_contact_holds_the_message_completing_a_split_detail(parts: list[str], reason: str) -> None:
    verdicts = _feed(ContactHook(), parts)
    assert verdicts[:-1] == [None] * (len(parts) - 1)
    assert verdicts[-1] == Verdict(Action.HOLD, reason)


def test_contact_split_pieces_expire_and_stay_per_participant() -> None:
    hook = ContactHook()
    assert _feed(hook, ["0770", "09", "00414"], step=SPLIT_SECONDS + 1) == [None, None, None]  # too slow to be one
    assert _feed(hook, ["0770"], participant=1) + _feed(hook, ["090041"], participant=2) == [None, None]
    assert _feed(hook, ["3-2", "4-1", "2-2", "0-5"], participant=3) == [None] * 4  # scores are not a number


def test_contact_forgets_split_pieces_and_bounds_its_memory() -> None:
    hook = ContactHook(max_participants=3)
    _feed(hook, ["0770", "09"])
    hook.forget_participant(participant_id=7)
    assert _feed(hook, ["00414"], start=120.0) == [None]
    for participant in range(10):
        _feed(hook, ["hello"], participant=participant)
    assert hook.tracked_participants() == 3
