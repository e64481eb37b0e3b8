"""Plumbing shared by every stand-in: serving over HTTP, fault injection, call recording."""
