"""chasm.site.dump: what a built page shows (glued values, numbers of its text, chart data), and comparing two."""

from __future__ import annotations

import json

from chasm.report.charts import render_html
from chasm.site import dump

CHART = render_html({"title": "T", "datasets": {"d1": [{"x": 1}]}}, div_id="c1")  # as the book renders charts
PAGE = ("<html><head><script>var x = 123;</script></head><body><nav>999</nav><article class='bd-article'>"
        "<p>Proving took 1,234.5 s at 2¹⁵ rows (−3 to 7e+05).</p><style>.a{width:42px}</style>"
        f"{CHART}</article></body></html>")


def test_numbers_come_from_the_article_text_only():
    assert dump.page_numbers(PAGE) == ["1,234.5", "2", "¹⁵", "−3", "7e+05"]


def test_chart_digests_name_the_title_and_hash_the_data():
    (chart,) = dump.chart_digests(PAGE)
    assert chart["title"] == "T" and len(chart["datasets"]) == 1
    changed = PAGE.replace('"x": 1', '"x": 2')
    assert dump.chart_digests(changed)[0]["datasets"] != chart["datasets"]


def test_book_values_and_compare(tmp_path):
    build = tmp_path / "_build"
    (build / "html" / "chapters").mkdir(parents=True)
    (build / "jupyter_execute" / "chapters").mkdir(parents=True)
    (build / "html" / "chapters" / "x.html").write_text(PAGE)
    glue = {"n": {"data": {"text/plain": "'40'"}}}
    (build / "jupyter_execute" / "chapters" / "x.glue.json").write_text(json.dumps(glue))
    before = dump.book_values(build)
    assert before["chapters/x"]["glue"] == {"n": "'40'"}
    assert dump.compare(before, before) == []
    (build / "html" / "chapters" / "x.html").write_text(PAGE.replace("1,234.5", "1,234.6"))
    diff = dump.compare(before, dump.book_values(build))
    assert len(diff) == 1 and "1,234.5" in diff[0] and "1,234.6" in diff[0]
