"""iCalendar (RFC 5545) feeds written by hand: the calendar, one event, a participant's agenda.

Rules followed: CRLF line ends; content lines folded at 75 octets (never inside a UTF-8
sequence), continuation lines starting with one space (3.1); TEXT values escape backslash,
semicolon, comma and newline (3.3.11); times in UTC with the ``Z`` suffix (3.3.5); every
component has UID and DTSTAMP (3.6.1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

PRODID = "-//Alps Bio Cluster//alpsbio events//EN"


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold one content line into chunks of at most 75 octets (RFC 5545 3.1)."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    limit = 75
    current = b""
    for ch in line:
        enc = ch.encode("utf-8")
        if len(current) + len(enc) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
            limit = 74  # continuation lines start with a space
        current += enc
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def format_utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass
class VEvent:
    uid: str
    start: dt.datetime
    end: dt.datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    status: str = "CONFIRMED"
    categories: tuple[str, ...] = ()

    def lines(self, stamp: dt.datetime) -> list[str]:
        out = [
            "BEGIN:VEVENT",
            f"UID:{self.uid}",
            f"DTSTAMP:{format_utc(stamp)}",
            f"DTSTART:{format_utc(self.start)}",
            f"DTEND:{format_utc(self.end)}",
            f"SUMMARY:{escape_text(self.summary)}",
        ]
        if self.description:
            out.append(f"DESCRIPTION:{escape_text(self.description)}")
        if self.location:
            out.append(f"LOCATION:{escape_text(self.location)}")
        if self.url:
            out.append(f"URL:{self.url}")
        if self.categories:
            out.append("CATEGORIES:" + ",".join(escape_text(c) for c in self.categories))
        out.append(f"STATUS:{self.status}")
        out.append("END:VEVENT")
        return out


def calendar(events: Iterable[VEvent], name: str, stamp: dt.datetime | None = None) -> str:
    stamp = stamp or timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for ev in events:
        lines.extend(ev.lines(stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def unfold(text: str) -> list[str]:
    """Inverse of folding (for tests and for reading feeds back)."""
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")
