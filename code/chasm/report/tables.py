"""Tables on the book's pages: shown as HTML without the pandas index, internal columns hidden."""

from __future__ import annotations

import pandas as pd

__all__ = ["show", "visible", "Inline", "code_spans"]


def show(table: pd.DataFrame) -> None:
    """Display a table as HTML without its index (the book's table style)."""
    from IPython.display import HTML, display

    display(HTML(table.to_html(index=False, classes="chasm-table", na_rep="", escape=True)))


def visible(table: pd.DataFrame) -> pd.DataFrame:
    """The table without its internal columns (names starting with ``_``), for :func:`show`."""
    return table[[c for c in table.columns if not str(c).startswith("_")]]


class Inline(str):
    """A phrase with inline Markdown (code spans), glued and pasted with ``{glue:md}``: its
    ``text/markdown`` is the phrase, its ``text/plain`` the string's repr, as for any glued string
    (what :mod:`chasm.site.dump` reads)."""

    def _repr_markdown_(self) -> str:
        return str(self)


def code_spans(items) -> str:
    """Items as Markdown code spans joined with 'and', e.g. '`full` and `quick`'."""
    return " and ".join(f"`{item}`" for item in items)
