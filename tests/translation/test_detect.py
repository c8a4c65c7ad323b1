"""Language detection restricted to a room's languages."""

from __future__ import annotations

import pytest

from translation.detect import detect_language

LANGUAGES = ("en", "es", "fr", "ar", "de")

# Short chat-style sentences (3-9 words), 8 per language.
SAMPLES: list[tuple[str, str]] = [
    ("en", "What did you have for lunch today?"),
    ("en", "My favourite subject is history."),
    ("en", "We played football after school."),
    ("en", "Do you have any brothers or sisters?"),
    ("en", "It is raining a lot in my city."),
    ("en", "I like listening to music in the evening."),
    ("en", "Our teacher gave us too much homework."),
    ("en", "How old are you and where do you live?"),
    ("es", "¿Qué comiste hoy en el almuerzo?"),
    ("es", "Mi asignatura favorita es la historia."),
    ("es", "Jugamos al fútbol después de clase."),
    ("es", "¿Tienes hermanos o hermanas?"),
    ("es", "Está lloviendo mucho en mi ciudad."),
    ("es", "Me gusta escuchar música por la noche."),
    ("es", "Nuestro profesor nos dio demasiados deberes."),
    ("es", "¿Cuántos años tienes y dónde vives?"),
    ("fr", "Qu'est-ce que tu as mangé à midi ?"),
    ("fr", "Ma matière préférée est l'histoire."),
    ("fr", "Nous avons joué au foot après l'école."),
    ("fr", "Est-ce que tu as des frères et sœurs ?"),
    ("fr", "Il pleut beaucoup dans ma ville."),
    ("fr", "J'aime écouter de la musique le soir."),
    ("fr", "Notre professeur nous a donné trop de devoirs."),
    ("fr", "Quel âge as-tu et où habites-tu ?"),
    ("ar", "ماذا أكلت على الغداء اليوم؟"),
    ("ar", "مادتي المفضلة هي التاريخ."),
    ("ar", "لعبنا كرة القدم بعد المدرسة."),
    ("ar", "هل لديك إخوة أو أخوات؟"),
    ("ar", "إنها تمطر كثيرا في مدينتي."),
    ("ar", "أحب الاستماع إلى الموسيقى في المساء."),
    ("ar", "أعطانا معلمنا الكثير من الواجبات."),
    ("ar", "كم عمرك وأين تعيش؟"),
    ("de", "Was hast du heute zu Mittag gegessen?"),
    ("de", "Mein Lieblingsfach ist Geschichte."),
    ("de", "Wir haben nach der Schule Fußball gespielt."),
    ("de", "Hast du Brüder oder Schwestern?"),
    ("de", "In meiner Stadt regnet es sehr viel."),
    ("de", "Ich höre abends gern Musik."),
    ("de", "Unser Lehrer hat uns zu viele Hausaufgaben gegeben."),
    ("de", "Wie alt bist du und wo wohnst du?"),
]


@pytest.mark.parametrize(("language", "text"), SAMPLES, ids=[f"{lang}-{i % 8}" for i, (lang, _) in enumerate(SAMPLES)])
def test_detect_language_among_five_candidates(language: str, text: str) -> None:
    assert detect_language(text, LANGUAGES, fallback="xx") == language


@pytest.mark.parametrize(("language", "text"), SAMPLES, ids=[f"{lang}-{i % 8}" for i, (lang, _) in enumerate(SAMPLES)])
def test_detect_language_written_in_partners_language(language: str, text: str) -> None:
    # A room pairs two languages; the sender declared the other one but wrote in `language`.
    other = "en" if language != "en" else "es"
    assert detect_language(text, [other, language], fallback=other) == language


@pytest.mark.parametrize(
    ("text", "candidates", "fallback", "expected"),
    [
        ("Hola amigo", ["en", "es"], "en", "en"),
        ("ok", ["en", "es"], "es", "es"),
        ("", ["en", "es"], "fr", "fr"),
        ("We played football after school.", [], "es", "es"),
        ("We played football after school.", ["xx", "yy"], "es", "es"),
        ("We played football after school.", ["es", "xx"], "de", "de"),
        ("123 456 789 000", ["en", "es"], "de", "de"),
    ],
    ids=["two-words", "one-word", "empty", "no-candidates", "unknown-candidates", "one-known-candidate", "no-letters"],
)
def test_detect_language_falls_back(text: str, candidates: list[str], fallback: str, expected: str) -> None:
    assert detect_language(text, candidates, fallback) == expected


def test_detect_language_low_confidence_returns_fallback() -> None:
    text = "Hotel Taxi Radio Pizza"  # the same in every candidate
    assert detect_language(text, ["en", "de"], fallback="de", min_confidence=0.99) == "de"
