"""Offline message translation: pluggable translators, a cache and an async service around them."""
