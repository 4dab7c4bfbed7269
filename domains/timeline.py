"""Positions for the host page's timeline chart, computed from stored history rows."""

from domains.models import UpdateEvent

WIDTH = 1000
MARGIN = 20


def timeline_points(events: list[UpdateEvent]) -> list[dict]:
    """One dot per event along the time axis: A above the line, AAAA below, failures red."""
    if not events:
        return []
    start, end = events[-1].created_at, events[0].created_at
    span = (end - start).total_seconds() or 1.0
    points = []
    for event in events:
        offset = (event.created_at - start).total_seconds() / span
        ok = not event.result.startswith("dnserr")
        points.append(
            {
                "x": round(MARGIN + offset * (WIDTH - 2 * MARGIN)),
                "y": 18 if event.family == "A" else 42,
                "css": ("v4" if event.family == "A" else "v6") + ("" if ok else " failed"),
                "title": f"{event.created_at:%Y-%m-%d %H:%M:%S} {event.family} "
                f"{event.new_address or '-'} ({event.result})",
            }
        )
    return points
