"""Geometry of the HTML report's SVG charts, computed from the figures so the template only draws.

Coordinates are returned as short strings (one decimal), so the template never formats numbers
(and no locale can turn a decimal point into a comma inside an SVG attribute).
"""

import math

COLORS = {
    "status": {"todo": "#94a3b8", "in progress": "#f59e0b", "done": "#16a34a"},
    "priority": {"low": "#93c5fd", "medium": "#3b82f6", "high": "#f97316", "urgent": "#dc2626"},
}
CREATED_COLOR = "#3b82f6"
COMPLETED_COLOR = "#16a34a"
OPEN_COLOR = "#60a5fa"
OVERDUE_COLOR = "#dc2626"
DONE_COLOR = "#86efac"
TOP_ASSIGNEES = 10


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def axis_ticks(value: float, *, most: int = 4) -> list[int]:
    """Round ticks from 0 to at or above ``value``: steps of 1, 2, 2.5 or 5 x 10^k (whole), at most ``most``."""
    raw = max(value, 1) / most
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw and float(m * magnitude).is_integer())
    step = int(step)
    return [i * step for i in range(max(1, math.ceil(value / step)) + 1)]


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "\u2026"


def bar_chart(items: list[tuple[str, int]], *, palette: str, width: int = 400) -> dict:
    """Horizontal bars, one per (label, value), with the value written at the end of each."""
    label_width, row, bar, right = 92, 30, 20, 100  # room on the right for "12345 (56%)"
    plot = width - label_width - right
    top = max([value for _, value in items] + [1])
    total = sum(value for _, value in items)
    bars = []
    for index, (label, value) in enumerate(items):
        length = plot * value / top
        y = index * row + 4
        share = f" ({round(100 * value / total)}%)" if total else ""
        bars.append(
            {
                "label": label,
                "value": value,
                "text": f"{value}{share}",
                "fill": COLORS[palette].get(label, "#64748b"),
                "x": _n(label_width),
                "y": _n(y),
                "width": _n(max(length, 1 if value else 0)),
                "height": _n(bar),
                "label_x": _n(label_width - 8),
                "text_x": _n(label_width + length + 6),
                "text_y": _n(y + bar / 2 + 4),
            }
        )
    return {"width": width, "height": len(items) * row + 8, "bars": bars, "axis_x": _n(label_width)}


def _week_labels(week: dict, shown_year: str | None) -> dict:
    """The Monday ("7 Jan") over the ISO week ("W02"), with its ISO year the first time it shows."""
    year, number = week["week"].split("-")
    return {
        "label": f"{week['start'].day} {week['start']:%b}",
        "sublabel": number if year == shown_year else week["week"],
    }


def weekly_chart(weeks: list[dict], *, width: int = 920, height: int = 280) -> dict:
    """Created and completed per ISO week, side by side, with a y axis and a few week labels."""
    left, right, top_margin, bottom = 44, 28, 14, 40  # room for the last week's label
    plot_w, plot_h = width - left - right, height - top_margin - bottom
    tick_values = axis_ticks(max([max(w["created"], w["completed"]) for w in weeks] + [1]))
    maximum = tick_values[-1]
    slot = plot_w / max(len(weeks), 1)
    bar = max(min(slot * 0.38, 18), 1)
    gap = max(min(slot * 0.04, 2), 0)
    label_every = max(1, math.ceil(len(weeks) / 14))
    baseline = top_margin + plot_h

    def y_of(value: float) -> float:
        return baseline - plot_h * value / maximum

    columns = []
    shown_year = None
    for index, week in enumerate(weeks):
        center = left + slot * (index + 0.5)
        created_h, completed_h = baseline - y_of(week["created"]), baseline - y_of(week["completed"])
        columns.append(
            {
                "week": week["week"],
                "start": week["start"],
                "created": week["created"],
                "completed": week["completed"],
                "created_x": _n(center - gap / 2 - bar),
                "created_y": _n(baseline - created_h),
                "created_h": _n(created_h),
                "completed_x": _n(center + gap / 2),
                "completed_y": _n(baseline - completed_h),
                "completed_h": _n(completed_h),
                "bar": _n(bar),
                **(_week_labels(week, shown_year) if index % label_every == 0 else {"label": "", "sublabel": ""}),
                "label_x": _n(center),
            }
        )
        if columns[-1]["sublabel"]:
            shown_year = week["week"][:4]
    ticks = [{"value": t, "y": _n(y_of(t)), "text_y": _n(y_of(t) + 4)} for t in tick_values]
    return {
        "width": width,
        "height": height,
        "left": _n(left),
        "right": _n(width - right),
        "baseline": _n(baseline),
        "label_y": _n(baseline + 16),
        "sublabel_y": _n(baseline + 30),
        "ticks": ticks,
        "columns": columns,
        "colors": {"created": CREATED_COLOR, "completed": COMPLETED_COLOR},
    }


def assignee_chart(rows: list[dict], *, width: int = 920) -> dict:
    """The assignees with the most open work, then the unassigned tasks: overdue, other open and done stacked."""
    label_width, right, row, bar = 170, 190, 28, 18
    plot = width - label_width - right
    assigned = [r for r in rows if r["id"] is not None]
    top = assigned[:TOP_ASSIGNEES] + [r for r in rows if r["id"] is None]
    maximum = max([r["open"] + r["done"] for r in top] + [1])
    items = []
    for index, r in enumerate(top):
        y = index * row + 4
        x = label_width
        segments = []
        for key, value, fill in (
            ("overdue", r["overdue"], OVERDUE_COLOR),
            ("open", r["open"] - r["overdue"], OPEN_COLOR),
            ("done", r["done"], DONE_COLOR),
        ):
            length = plot * value / maximum
            if value:
                segments.append({"key": key, "x": _n(x), "width": _n(max(length, 1)), "fill": fill, "value": value})
            x += length
        items.append(
            {
                "name": _shorten(r["name"], 24),
                "full_name": r["name"],
                "unassigned": r["id"] is None,
                "y": _n(y),
                "height": _n(bar),
                "segments": segments,
                "label_x": _n(label_width - 8),
                "text_x": _n(x + 6),
                "text_y": _n(y + bar / 2 + 4),
                "text": f"{r['open']} open \u00b7 {r['done']} done"
                + (f" \u00b7 {r['overdue']} overdue" if r["overdue"] else ""),
            }
        )
    return {
        "width": width,
        "height": max(len(items), 1) * row + 8,
        "items": items,
        "more": max(len(assigned) - TOP_ASSIGNEES, 0),
        "colors": {"overdue": OVERDUE_COLOR, "open": OPEN_COLOR, "done": DONE_COLOR},
    }
