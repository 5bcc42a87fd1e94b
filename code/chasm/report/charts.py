"""The book's one altair theme and its offline renderer.

Importing this module registers and enables:

- the ``chasm`` theme: fonts, sizes and the colour scheme used on every chart;
- the ``chasm`` renderer: each chart becomes a ``<div class="chasm-chart">`` and
  a call to ``vegaEmbed`` from the pinned vega, vega-lite and vega-embed builds
  vendored in ``book/_static/vendor`` (loaded on every page by ``_config.yml``),
  so the static site draws charts with no network at all.

Chart-building helpers shared by several chapters live here too.
"""

from __future__ import annotations

import itertools
import json

import altair as alt

__all__ = ["THEME_NAME", "RENDERER_NAME", "PALETTE", "CATEGORY_COLORS", "FONT", "WIDTH", "HEIGHT", "chasm_theme",
           "ChartSpecError", "title_text", "describe", "render_html", "log_range_chart", "loglog_lines"]

THEME_NAME = "chasm"
RENDERER_NAME = "chasm"

#: Colours by role, used consistently across chapters: the Okabe-Ito palette, distinguishable with the
#: common forms of colour blindness (blue and vermillion for the two sides of the comparison).
PALETTE = {
    "inference": "#0072B2",
    "proving": "#D55E00",
    "verify": "#CC79A7",
    "neutral": "#666666",
}
CATEGORY_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
WIDTH = 560
HEIGHT = 320

_counter = itertools.count()


@alt.theme.register(THEME_NAME, enable=True)
def chasm_theme() -> alt.theme.ThemeConfig:
    """The compendium's altair theme (one for the whole book)."""
    return {
        "config": {
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "font": FONT,
            "title": {"fontSize": 15, "anchor": "start", "fontWeight": 600},
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 13,
                "gridColor": "#e6e6e6",
                "domainColor": "#888888",
                "tickColor": "#888888",
            },
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "right"},
            "range": {"category": CATEGORY_COLORS},
            "point": {"size": 60, "filled": True},
            "line": {"strokeWidth": 2},
        }
    }


class ChartSpecError(ValueError):
    """A chart that cannot be shown: it has no title (every chart on the site must have one)."""


def title_text(spec: dict) -> str:
    """The top-level title of a Vega-Lite ``spec`` as plain text ('' if it has none)."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title or "").strip()


def _views(spec: dict):
    yield spec
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []) or []:
            yield from _views(sub)
    if isinstance(spec.get("spec"), dict):
        yield from _views(spec["spec"])


def _axis_title(enc: dict, channel: str) -> str:
    ch = enc.get(channel)
    if not isinstance(ch, dict):
        return ""
    title = ch.get("title", ch.get("field", ""))
    return "" if title is None else str(title)


def describe(spec: dict) -> str:
    """A text description of a chart for screen readers: its title, then each view's mark and axes
    ('points of <y> against <x>'), from the spec itself (the spec's own ``description`` wins)."""
    if spec.get("description"):
        return str(spec["description"])
    parts = []
    for view in _views(spec):
        mark = view.get("mark")
        mark = mark.get("type") if isinstance(mark, dict) else mark
        enc = view.get("encoding", {})
        x, y = _axis_title(enc, "x"), _axis_title(enc, "y")
        if mark and (x or y):
            text = f"{mark} marks" + (f" of {y}" if y else "") + (f" against {x}" if x else "")
            if text not in parts:
                parts.append(text)
    return f"Chart: {title_text(spec)}." + (" " + "; ".join(parts) + "." if parts else "")


def render_html(spec: dict, div_id: str | None = None) -> str:
    """HTML that draws ``spec`` with the vendored vega-embed (no network). The chart gets a text
    description for screen readers (:func:`describe`) and is drawn as SVG that scales down to its
    column; a chart without a title raises :class:`ChartSpecError`."""
    if not title_text(spec):
        raise ChartSpecError("every chart needs a title (set .properties(title=...)); this one has none: "
                             + json.dumps(spec.get("mark", spec.get("layer", "?")))[:120])
    spec = {**spec, "description": describe(spec)}
    div_id = div_id or f"chasm-chart-{next(_counter)}"
    payload = json.dumps(spec, sort_keys=True).replace("</", "<\\/")
    return (
        f'<div id="{div_id}" class="chasm-chart"></div>\n'
        '<script type="text/javascript">\n'
        f'vegaEmbed("#{div_id}", {payload}, {{"actions": false, "renderer": "svg"}})'
        '.catch(function (err) { console.error("chart failed: " + err); });\n'
        "</script>"
    )


def _renderer(spec: dict, **_: object) -> dict:
    return {"text/html": render_html(spec)}


alt.renderers.register(RENDERER_NAME, _renderer)
alt.renderers.enable(RENDERER_NAME)


def log_range_chart(frame, *, y: str, low: str, high: str, color: str, row_label: str,
                    title: str, x_title: str):
    """Horizontal log-scale range bars (``low`` to ``high``) per row label."""
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{y}:N", title=None, sort=None),
        color=alt.Color(f"{color}:N", title=row_label),
        tooltip=list(frame.columns),
    )
    bars = base.mark_rule(strokeWidth=6, opacity=0.8).encode(
        x=alt.X(f"{low}:Q", scale=alt.Scale(type="log"), title=x_title),
        x2=f"{high}:Q",
    )
    ends = base.mark_tick(thickness=2, size=14).encode(x=f"{low}:Q") + base.mark_tick(
        thickness=2, size=14
    ).encode(x=f"{high}:Q")
    return (bars + ends).properties(title=title)


def loglog_lines(frame, *, x: str, y: str, color: str, x_title: str, y_title: str, title: str,
                 tooltip: list[str] | None = None, facet: str | None = None, columns: int = 3,
                 width: int | None = None, height: int | None = None):
    """Points joined by lines on log-log axes, one line per ``color`` value.

    ``facet`` splits the chart into small multiples (``columns`` per row).
    """
    base = alt.Chart(frame).encode(
        x=alt.X(f"{x}:Q", scale=alt.Scale(type="log"), title=x_title),
        y=alt.Y(f"{y}:Q", scale=alt.Scale(type="log"), title=y_title),
        color=alt.Color(f"{color}:N", title=color.replace("_", " ")),
        tooltip=tooltip or [x, y, color],
    )
    layered = base.mark_line(opacity=0.7) + base.mark_point()
    if facet:
        size = {"width": width or 150, "height": height or 160}
        return layered.properties(**size).facet(
            facet=alt.Facet(f"{facet}:N", title=None), columns=columns
        ).properties(title=title).resolve_scale(x="independent").configure_legend(orient="bottom")
    return layered.properties(title=title, width=width or WIDTH, height=height or HEIGHT)
