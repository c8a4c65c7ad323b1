"""Staff accounts: login and logout, the signed session, back-off against guessing, and account changes."""
