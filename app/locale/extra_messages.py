"""Interface strings that reach templates as data (status names, error titles), marked here so Babel extracts them."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now; templates translate it when rendering."""
    return message


SESSION_STATUSES = [N_("scheduled"), N_("live"), N_("paused"), N_("closed"), N_("cancelled")]
PARTICIPANT_STATUSES = [N_("away"), N_("waiting"), N_("paired"), N_("left"), N_("removed")]
ROLES = [N_("admin"), N_("coordinator"), N_("facilitator")]
EXCHANGE_STATUSES = [N_("proposed"), N_("accepted"), N_("declined")]
MESSAGE_KINDS = [N_("chat"), N_("announcement"), N_("prompt"), N_("system")]
MODERATION_STATES = [N_("visible"), N_("masked"), N_("held"), N_("blocked"), N_("deleted")]
ERROR_TITLES = [
    N_("That request did not look right"),
    N_("You are not allowed to do that"),
    N_("We could not find that page"),
    N_("That method is not allowed here"),
    N_("That is too large"),
    N_("Too many attempts"),
    N_("Something went wrong on our side"),
    N_("Error"),
]
# The facilitator console script's strings (app/facilitation/console.py passes them through gettext at render time).
CONSOLE_SCRIPT = [
    N_("Live view connected."),
    N_("Live view disconnected; reconnecting…"),
    N_("A message was held for review in room %(room)s."),
    N_("A student reported a message in room %(room)s."),
    N_("Room %(room)s"),
    N_("Room %(room)s (closed)"),
    N_("room %(n)s"),
    N_("muted until %(time)s"),
    N_("reconnecting"),
    N_("banned"),
    N_("(withdrawn)"),
    N_("Done."),
    N_("That did not work:"),
]
# Form errors the school pages collect with errors.append("...") and show through templates/schools/_errors.html.
FORM_ERRORS = [
    N_("Give the school a name of 1 to 200 characters."),
    N_("Pick the school's country from the list."),
    N_("The safeguarding contact must be an e-mail address."),
    N_("Usernames are 3 to 80 lower-case letters, digits, dots, dashes or underscores."),
    N_("Pick the role: coordinator or facilitator."),
    N_("The display name is longer than 120 characters."),
    N_("That username is taken."),
    N_("Pick at least one language."),
    N_("Give the class a name of 1 to 120 characters."),
    N_("Class size must be a whole number from 1 to 200."),
    N_("Pick the mode: live or async."),
    N_("Rooms hold 2 to 4 students."),
    N_("At most 1 to 4 students of one class per room (or leave it blank)."),
    N_("The title is longer than 200 characters."),
    N_("Your current password is not right."),
    N_("The new passwords do not match."),
    N_("Passwords are 10 to 200 characters."),
    N_("No such staff account."),
    N_("Unknown action."),
]
