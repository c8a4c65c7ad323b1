"""Bridgeway real-time core: pairing, room hub, message pipeline, moderation hooks, brokers."""
