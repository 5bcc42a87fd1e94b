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
    return alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q")


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
    a = charts.render_html({})
    b = charts.render_html({})
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
