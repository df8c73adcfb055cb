"""The overview's bar chart as SVG geometry, computed here so the template only draws rectangles (no script, and
no inline styles the Content-Security-Policy would block). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from checkout_engine.dashboard.queries import Hour

SERIES = ("checkouts", "succeeded", "failed")
PLOT_HEIGHT = 120
LABEL_HEIGHT = 18
AXIS_WIDTH = 30
BAR_WIDTH = 7
SLOT_WIDTH = len(SERIES) * BAR_WIDTH + 6  # three bars and a gap between hours
LABEL_EVERY_HOURS = 3


@dataclass(frozen=True, slots=True)
class Bar:
    series: str
    x: int
    y: float
    height: float
    title: str


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    text: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    plot_bottom: int
    peak: int
    bars: tuple[Bar, ...]
    labels: tuple[Label, ...]
    axis_x: int
    bar_width: int


def _counts(hour: Hour) -> tuple[int, int, int]:
    return hour.checkouts, hour.succeeded, hour.failed


def build(hours: list[Hour]) -> Chart:
    peak = max((max(_counts(hour)) for hour in hours), default=0)
    scale = PLOT_HEIGHT / peak if peak else 0.0
    bars: list[Bar] = []
    labels: list[Label] = []
    for slot, hour in enumerate(hours):
        left = AXIS_WIDTH + slot * SLOT_WIDTH
        when = hour.start.strftime("%H:00")
        for index, (series, count) in enumerate(zip(SERIES, _counts(hour), strict=True)):
            if count:
                height = round(count * scale, 1)
                title = f"{when} UTC: {count} {series}"
                bars.append(Bar(series, left + index * BAR_WIDTH, PLOT_HEIGHT - height, height, title))
        if slot % LABEL_EVERY_HOURS == 0:
            labels.append(Label(left + SLOT_WIDTH / 2, when))
    return Chart(
        width=AXIS_WIDTH + len(hours) * SLOT_WIDTH,
        height=PLOT_HEIGHT + LABEL_HEIGHT,
        plot_bottom=PLOT_HEIGHT,
        peak=peak,
        bars=tuple(bars),
        labels=tuple(labels),
        axis_x=AXIS_WIDTH,
        bar_width=BAR_WIDTH,
    )
