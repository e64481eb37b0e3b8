"""`ssoprov report --html FILE`: the fleet on one static page (no server, no script).

One row per organization: its identity provider and broker, its client secret's expiry and
rotate-by dates on a shared timeline (today at the left edge), the expiry report's status, and
the result of the last drift check when a drift JSON report is given. Every value is escaped;
the page holds identifiers and dates only, never a secret (the rows come from the same state
reading as `ssoprov secrets`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, timedelta

from ssoprov.wording import counted

TIMELINE_WIDTH = 520
ROW_HEIGHT = 22
MIN_HORIZON_DAYS = 365
STATUS_COLOURS = {
    "due": "#c62828",
    "not-due": "#2e7d32",
    "incomplete": "#757575",
    "not-managed": "#1565c0",
}
DRIFT_COLOURS = {"clean": "#2e7d32", "drifted": "#c62828", "failed": "#c62828"}


@dataclass(frozen=True)
class FleetRow:
    stack: str
    organization: str | None
    idp: str | None
    broker: str | None
    status: str
    """As `ssoprov secrets` reports it: due, not-due, incomplete, not-managed, not-deployed, ..."""
    expires: date | None
    """The secret's expiry; None when it does not expire (Okta) or is not ours."""
    rotate_by: date | None
    note: str = ""
    drift: str | None = None
    """clean, drifted or failed at the last drift check; None when there was none for this stack."""
    drift_detail: str = ""


@dataclass(frozen=True)
class Timeline:
    start: date
    end: date

    @classmethod
    def spanning(cls, start: date, rows: list[FleetRow]) -> Timeline:
        latest = max((day for row in rows for day in (row.expires, row.rotate_by) if day), default=start)
        end = max(latest + timedelta(days=30), start + timedelta(days=MIN_HORIZON_DAYS))
        return cls(start, end)

    def x(self, day: date) -> float:
        """Pixels from the left edge; days before the start (overdue) sit on the edge."""
        fraction = max(0, (day - self.start).days) / (self.end - self.start).days
        return round(fraction * TIMELINE_WIDTH, 1)

    def months(self) -> list[date]:
        first = date(self.start.year, self.start.month, 1)
        ticks = []
        while first <= self.end:
            if first > self.start:
                ticks.append(first)
            first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return ticks


def _text(value: object) -> str:
    return html.escape("-" if value is None else str(value))


def _axis(timeline: Timeline) -> str:
    marks = []
    for tick in timeline.months():
        x = timeline.x(tick)
        label = f'<text x="{x + 2}" y="12">{tick:%b %Y}</text>' if tick.month in (1, 4, 7, 10) else ""
        marks.append(f'<line x1="{x}" y1="0" x2="{x}" y2="16" class="tick"/>{label}')
    return (
        f'<svg class="axis" width="{TIMELINE_WIDTH}" height="16" role="img" '
        f'aria-label="{timeline.start} to {timeline.end}">{"".join(marks)}</svg>'
    )


def _bar(row: FleetRow, timeline: Timeline) -> str:
    shapes = []
    end = row.expires or row.rotate_by
    if end is not None:
        shapes.append(f'<rect x="0" y="9" width="{timeline.x(end)}" height="4" class="life"/>')
    if row.rotate_by is not None:
        x = timeline.x(row.rotate_by)
        colour = STATUS_COLOURS.get(row.status, "#757575")
        shapes.append(
            f'<path d="M{x} 4 L{x + 6} 11 L{x} 18 L{x - 6} 11 Z" fill="{colour}" class="rotate-by">'
            f"<title>rotate by {row.rotate_by}</title></path>"
        )
    if row.expires is not None:
        x = timeline.x(row.expires)
        shapes.append(
            f'<rect x="{x - 1.5}" y="2" width="3" height="18" class="expiry">'
            f"<title>expires {row.expires}</title></rect>"
        )
    return (
        f'<svg class="bar" width="{TIMELINE_WIDTH}" height="{ROW_HEIGHT}" role="img" '
        f'aria-label="rotate by {_text(row.rotate_by)}, expires {_text(row.expires)}">{"".join(shapes)}</svg>'
    )


def _coloured(css_class: str, colour: str, tooltip: str, text: str) -> str:
    return f'<td class="{css_class}" style="color:{colour}" title="{_text(tooltip)}">{_text(text)}</td>'


def _row(row: FleetRow, timeline: Timeline) -> str:
    status_colour = STATUS_COLOURS.get(row.status, "#6d4c41")
    drift = row.drift or "not checked"
    drift_colour = DRIFT_COLOURS.get(row.drift or "", "#757575")
    cells = [
        f'<td class="stack">{_text(row.stack)}</td>',
        f"<td>{_text(row.organization)}</td>",
        f"<td>{_text(row.idp)}</td>",
        f"<td>{_text(row.broker)}</td>",
        f"<td>{_text(row.expires or ('does not expire' if row.rotate_by else None))}</td>",
        f"<td>{_text(row.rotate_by)}</td>",
        f"<td>{_bar(row, timeline)}</td>",
        _coloured("status", status_colour, row.note, row.status),
        _coloured("drift", drift_colour, row.drift_detail, drift),
    ]
    return f'<tr data-stack="{_text(row.stack)}">{"".join(cells)}</tr>'


STYLE = """
body { font: 14px system-ui, sans-serif; margin: 24px; color: #212121; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.meta { color: #616161; margin: 0 0 16px; }
table { border-collapse: collapse; }
th, td { padding: 3px 10px; text-align: left; border-bottom: 1px solid #e0e0e0; white-space: nowrap; }
th { background: #fafafa; font-weight: 600; }
td.stack { font-family: ui-monospace, monospace; }
svg text { font-size: 10px; fill: #616161; }
line.tick { stroke: #bdbdbd; }
rect.life { fill: #c8e6c9; }
rect.expiry { fill: #c62828; }
.legend span { margin-right: 16px; }
"""


def render_page(rows: list[FleetRow], as_of: date, drift_checked: str | None, backend: str) -> str:
    timeline = Timeline.spanning(as_of, rows)
    drift_text = f"last drift check {drift_checked}" if drift_checked else "no drift report given"
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    body = "\n".join(_row(row, timeline) for row in rows)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SSO fleet as of {as_of}</title>
<style>{STYLE}</style></head>
<body>
<h1>SSO fleet: {counted(len(rows), "organization")}</h1>
<p class="meta">as of {as_of}; {_text(summary)}; {_text(drift_text)}; backend {_text(backend)}</p>
<p class="legend"><span>&#9670; rotate-by date (colour: status)</span>
<span style="color:#c62828">&#9646; expiry</span><span>timeline {timeline.start} to {timeline.end}</span></p>
<table>
<thead><tr><th>stack</th><th>organization</th><th>idp</th><th>broker</th><th>secret expires</th>
<th>rotate by</th><th>{_axis(timeline)}</th><th>status</th><th>drift</th></tr></thead>
<tbody>
{body}
</tbody></table>
</body></html>
"""
