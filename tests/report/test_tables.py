"""chasm.report.tables: tables shown without the pandas index; internal columns hidden."""

from __future__ import annotations

import IPython.display
import pandas as pd

from chasm.report import tables


def test_show_renders_html_without_the_index(monkeypatch):
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    frame = pd.DataFrame({"model": ["a", "b"], "rows": [1, None]}, index=[10, 11])
    tables.show(frame)
    html = shown[0].data
    assert 'class="dataframe chasm-table"' in html and "<td>a</td>" in html
    assert "<th>10</th>" not in html and "<td>10</td>" not in html  # no index column
    assert "NaN" not in html


def test_visible_drops_internal_columns():
    frame = pd.DataFrame({"shown": [1], "_internal": [2]})
    assert list(tables.visible(frame).columns) == ["shown"]
