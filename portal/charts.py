"""Chart geometry for the portal's pages, computed from what the selectors read."""

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


BAR_WIDTH = 20
BAR_MAX_HEIGHT = 50
BAR_BASELINE = 55


def daily_bars(days: list[dict]) -> list[dict]:
    """One bar per day for the status page, scaled to the busiest day."""
    top = max((day["count"] for day in days), default=0) or 1
    bars = []
    for i, day in enumerate(days):
        height = round(BAR_MAX_HEIGHT * day["count"] / top)
        bars.append({**day, "x": i * BAR_WIDTH, "y": BAR_BASELINE - height, "height": height})
    return bars
