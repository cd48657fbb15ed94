"""The burn-up chart, drawn on the server as inline SVG: no chart library, no JavaScript, no CDN.

Coordinates are formatted here as plain strings so template localization (thousands separators)
can never reach them.
"""
from __future__ import annotations

import datetime as dt

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from rollout.dashboard.selectors import BurnUp

WIDTH, HEIGHT = 1000, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 24, 24, 36
# A projection further out than this is not drawn (the text still gives the date).
MAX_PROJECTION_DAYS = 3 * 365


def _f(value: float) -> str:
    return f"{value:.1f}"


def burnup_svg(burnup: BurnUp, *, peer_curve: list | None = None) -> SafeString:
    """Cumulative links (solid steps), registered accounts (the goal line), the projection at the
    current pace (dashed) and, for a live court, the peers' median (`rollout.dashboard.peers`: % linked
    at the end of each week since go-live, drawn at this court's scale), with a text description."""
    if burnup.start is None or burnup.registered == 0:
        return mark_safe("")
    start, today = burnup.start, max(burnup.today, burnup.start)
    end = today
    project = (burnup.projected is not None and burnup.projected > today
               and (burnup.projected - today).days <= MAX_PROJECTION_DAYS)
    if project:
        end = burnup.projected
    span = max((end - start).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        return LEFT + plot_w * max((day - start).days, 0) / span

    def y(n: int) -> float:
        return TOP + plot_h * (1 - n / burnup.registered)

    points = [(x(start), y(0))]
    previous = 0
    for day, total in burnup.points:
        if day < start:
            previous = total
            points[-1] = (x(start), y(total))
            continue
        points.append((x(day), y(previous)))
        points.append((x(day), y(total)))
        previous = total
    points.append((x(today), y(previous)))
    line = " ".join(f"{_f(a)},{_f(b)}" for a, b in points)

    ticks = format_html_join(
        "", '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/><text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
        ((LEFT, WIDTH - RIGHT, _f(y(n)), _f(y(n)), LEFT - 6, _f(y(n) + 4), intcomma(n))
         for n in sorted({round(burnup.registered * k / 4) for k in range(5)})),
    )
    x_labels = [(start, "start", "go-live " + start.isoformat())]
    if (today - start).days > span * 0.12:
        x_labels.append((today, "middle" if project else "end", "today"))
    if project:
        x_labels.append((end, "end", end.isoformat()))
    xticks = format_html_join(
        "", '<text class="tick" x="{}" y="{}" text-anchor="{}">{}</text>',
        ((_f(x(d)), HEIGHT - BOTTOM + 18, anchor, label) for d, anchor, label in x_labels),
    )
    peers = ""
    peer_points = [(start + dt.timedelta(days=7 * w + 6), pct) for w, pct in enumerate(peer_curve or [])
                   if pct is not None]
    if peer_points:
        coords = [(x(start), y(0))] + [(x(min(day, today)), y(burnup.registered * pct / 100.0)) for day, pct in peer_points]
        peers = format_html('<polyline class="peers" points="{}"/>', " ".join(f"{_f(a)},{_f(b)}" for a, b in coords))
    projection = ""
    if project:
        projection = format_html(
            '<line class="projection" x1="{}" y1="{}" x2="{}" y2="{}"/>',
            _f(x(today)), _f(y(previous)), _f(x(end)), _f(y(burnup.registered)),
        )
    desc = (f"{intcomma(burnup.linked)} of {intcomma(burnup.registered)} accounts linked since "
            f"{start.isoformat()}; pace {burnup.pace_per_day:.1f} a day over the last 30 days.")
    if peer_points:
        desc += f" The median of peer courts at week {len(peer_points) - 1} since go-live: {peer_points[-1][1]:.1f}% linked."
    legend = format_html(
        '<figcaption><span class="key linked"></span> linked (cumulative) <span class="key goal"></span> registered{}{}'
        '</figcaption>',
        mark_safe(' <span class="key projection"></span> projection at the current pace') if project else "",
        mark_safe(' <span class="key peers"></span> median of peer courts at the same week since go-live')
        if peer_points else "",
    )
    return format_html(
        '<div class="chart-scroll" tabindex="0" role="region" aria-label="Chart: linked accounts since go-live"><svg class="burnup" viewBox="0 0 {} {}" role="img" aria-labelledby="burnup-title burnup-desc" '
        'preserveAspectRatio="xMidYMid meet">'
        '<title id="burnup-title">Linked accounts since go-live</title><desc id="burnup-desc">{}</desc>'
        '{}<line class="goal" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="goal-label" x="{}" y="{}">registered {}</text>'
        '{}<polyline class="linked" points="{}"/>{}{}'
        '<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/></svg></div>{}',
        WIDTH, HEIGHT, desc, ticks,
        LEFT, WIDTH - RIGHT, _f(y(burnup.registered)), _f(y(burnup.registered)),
        LEFT + 6, _f(y(burnup.registered) - 5), intcomma(burnup.registered),
        peers, line, projection, xticks,
        LEFT, WIDTH - RIGHT, _f(y(0)), _f(y(0)), legend,
    )
