"""Errors the engine raises on bad input, worded for the person who supplied the file."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input data: the message names the file (and line) so a user can fix it."""
