"""iCalendar (RFC 5545) text for exchange meetings: one event, or a group's calendar.

Written by hand (no library is installed, and the subset is small): CRLF line endings, lines
folded at 75 octets without splitting a UTF-8 character, TEXT values escaped (\\ ; , and
newlines), local times as `DTSTART;TZID=Asia/Tokyo:…` with a VTIMEZONE that Outlook needs
(Google Calendar reads the TZID alone), DTSTAMP in UTC. The UID is fixed per meeting and
SEQUENCE grows with changes, so a re-import updates the event instead of adding a second one.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
TZID = "Asia/Tokyo"
PRODID = "-//Zennin//Exchange meetings//JA"
LINE_OCTETS = 75

# Japan has had no daylight saving time since 1951: one STANDARD rule covers every date.
VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0900",
    "TZOFFSETTO:+0900",
    "TZNAME:JST",
    "END:STANDARD",
    "END:VTIMEZONE",
)


@dataclass(frozen=True)
class Event:
    uid: str
    summary: str
    description: str
    url: str
    starts_at: datetime  # naive UTC
    ends_at: datetime
    stamp: datetime  # naive UTC: when this version was written (the last change)
    sequence: int = 0
    cancelled: bool = False


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, continuation lines starting with a
    space (which counts in their 75), never inside a UTF-8 sequence."""
    parts: list[str] = []
    current, size, limit = [], 0, LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _local(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).astimezone(JST).strftime("%Y%m%dT%H%M%S")


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _event_lines(event: Event) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{_utc(event.stamp)}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTART;TZID={TZID}:{_local(event.starts_at)}",
        f"DTEND;TZID={TZID}:{_local(event.ends_at)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines += [f"URL:{event.url}", f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}", "END:VEVENT"]
    return lines


def calendar(events: Iterable[Event], name: str) -> str:
    """A VCALENDAR with the Asia/Tokyo time zone and the events, as the text of an .ics file."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-TIMEZONE:{TZID}",
        *VTIMEZONE,
    ]
    for event in events:
        lines += _event_lines(event)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
