"""chasm.report.charts: the book's one altair theme and the offline renderer."""

from __future__ import annotations

import json
import re
import altair as alt
import pandas as pd
import yaml

from chasm.core import paths
from chasm.report import charts


def _chart():
    frame = pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})
    return alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q").properties(title="t")


def test_theme_is_registered_and_enabled():
    assert charts.THEME_NAME in alt.theme.names()
    assert alt.theme.active == charts.THEME_NAME
    assert alt.renderers.active == charts.RENDERER_NAME


def test_charts_carry_the_theme():
    config = _chart().to_dict()["config"]
    assert config["font"] == charts.FONT
    assert config["range"]["category"] == charts.CATEGORY_COLORS
    assert config["view"]["continuousWidth"] == charts.WIDTH


def test_renderer_emits_a_chasm_chart_and_vega_embed_call():
    html = _chart()._repr_mimebundle_()
    html = html[0] if isinstance(html, tuple) else html
    text = html["text/html"]
    div = re.search(r'<div id="(chasm-chart-\d+)" class="chasm-chart"></div>', text)
    assert div, text[:200]
    assert f'vegaEmbed("#{div.group(1)}", ' in text
    assert "http://" not in text and "https://" not in text.replace("https://vega.github.io/schema", "")
    assert "<script src=" not in text  # the vendored libraries come from the page, not the chart


def test_render_html_escapes_closing_tags():
    text = charts.render_html({"title": "</script><script>alert(1)</script>"}, div_id="t")
    payload = text.split('vegaEmbed("#t", ', 1)[1].rsplit(', {"actions"', 1)[0]
    assert "</script>" not in payload
    assert json.loads(payload.replace("<\\/", "</"))["title"].startswith("</script>")


def test_chart_ids_are_unique():
    a = charts.render_html({"title": "a"})
    b = charts.render_html({"title": "a"})
    assert re.search(r'id="([^"]+)"', a).group(1) != re.search(r'id="([^"]+)"', b).group(1)


def test_config_points_every_chart_at_the_vendored_libraries():
    config = yaml.safe_load((paths.repo_root() / "_config.yml").read_text())["sphinx"]["config"]
    static = paths.repo_root() / "book" / "_static"
    scripts = config["html_js_files"]
    assert scripts == ["vendor/vega.min.js", "vendor/vega-lite.min.js", "vendor/vega-embed.min.js"]
    for script in scripts + [config["mathjax_path"]]:
        assert not script.startswith(("http:", "https:", "//"))
        assert (static / script).stat().st_size > 10_000, script
    lite = (static / "vendor" / "vega-lite.min.js").read_text()
    assert f'"{alt.VEGALITE_VERSION}"' in lite[:2000], (
        f"vendored vega-lite is not the {alt.VEGALITE_VERSION} that altair {alt.__version__} emits specs for"
    )
    assert "chasm.site.sphinxext" in yaml.safe_load((paths.repo_root() / "_config.yml").read_text())["sphinx"]["extra_extensions"]


def test_a_chart_without_a_title_is_refused():
    frame = pd.DataFrame({"x": [1, 2], "y": [2, 1]})
    untitled = alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q")
    try:
        untitled._repr_mimebundle_()
    except charts.ChartSpecError as err:
        assert "title" in str(err)
    else:
        raise AssertionError("an untitled chart was rendered")


def test_every_chart_gets_a_text_description_from_its_axes():
    frame = pd.DataFrame({"rows": [1, 2], "seconds": [2, 1]})
    chart = alt.Chart(frame).mark_line().encode(x=alt.X("rows:Q", title="padded rows"),
                                                y=alt.Y("seconds:Q", title="prove time (s)")).properties(title="Prove time")
    text = charts.describe(chart.to_dict())
    assert text == "Chart: Prove time. line marks of prove time (s) against padded rows."
    html = charts.render_html(chart.to_dict(), div_id="d")
    payload = json.loads(html.split('vegaEmbed("#d", ', 1)[1].rsplit(', {"actions"', 1)[0].replace("<\\/", "</"))
    assert payload["description"] == text
    assert charts.describe({**chart.to_dict(), "description": "mine"}) == "mine"  # a chart's own wins


def test_the_palette_is_okabe_ito():
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
    assert set(charts.CATEGORY_COLORS) == okabe_ito
    assert {charts.PALETTE["proving"], charts.PALETTE["inference"]} <= okabe_ito
