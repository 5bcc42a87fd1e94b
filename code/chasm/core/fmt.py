"""Numbers as text, one format per kind of number, for the book's pages and the command line.

Seconds with a sensible unit, bytes in binary units, powers of two and of ten with Unicode
superscripts (text produced by code is not parsed for maths), percentages, and ``point (low to high)``
intervals.
"""

from __future__ import annotations

import math

__all__ = ["SUPERSCRIPT", "superscript", "pow2", "seconds", "gib", "nbytes", "sci", "interval", "interval_text",
           "pct", "duration", "parse_bytes"]

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(n: int) -> str:
    """An integer in Unicode superscript digits, e.g. 15 -> '¹⁵'."""
    return str(int(n)).translate(SUPERSCRIPT)


def pow2(k: int) -> str:
    """``2`` to the power ``k``, e.g. 15 -> '2¹⁵'."""
    return "2" + superscript(k)


def seconds(x: float) -> str:
    """A duration in seconds as 's', 'ms' or 'µs' with three significant digits."""
    if x >= 0.1:
        return f"{x:.3g} s"
    if x >= 1e-4:
        return f"{x * 1e3:.3g} ms"
    return f"{x * 1e6:.3g} µs"


def gib(n_bytes: float) -> str:
    """A number of bytes in GiB, two decimals."""
    return f"{n_bytes / 2**30:.2f} GiB"


def nbytes(n_bytes: float) -> str:
    """A number of bytes in the largest binary unit that keeps it at least 1 (B, KiB ... TiB)."""
    for name, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {name}"
    return f"{n_bytes:.3g} B"


def sci(x: float, digits: int = 3) -> str:
    """A number as mantissa × 10 to a power (plain below 100,000); '∞', '−∞' or 'n/a' if not finite."""
    if not math.isfinite(x):
        return "n/a" if math.isnan(x) else ("∞" if x > 0 else "−∞")
    if abs(x) >= 1e5:
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        return f"{mantissa} × 10{superscript(int(exponent))}"
    if float(x).is_integer():
        return f"{int(x):,}"
    if abs(x) >= 10 ** digits:  # e.g. 44716.8 -> '44,700' (``digits`` significant, no exponent)
        return f"{round(x, digits - 1 - math.floor(math.log10(abs(x)))):,.0f}"
    return f"{x:.{digits}g}"


def interval(low, point, high) -> list[str]:
    """``'point (low to high)'`` for each entry of three sequences."""
    return [f"{sci(p)} ({sci(lo)} to {sci(hi)})" for lo, p, hi in zip(low, point, high)]


def interval_text(point: float, low: float, high: float) -> str:
    """``'point (low to high)'`` of one interval, as :func:`interval` writes it."""
    return interval([low], [point], [high])[0]


def pct(x: float, digits: int = 2) -> str:
    """A fraction as a percentage with ``digits`` decimals, e.g. 0.1234 -> '12.34%'."""
    return f"{100 * x:.{digits}f}%"


def duration(value: float) -> str:
    """Seconds with three significant digits, plus hours or days when long (``'3.6e+05 s (4.17 d)'``)."""
    text = f"{value:.3g} s"
    if value >= 2 * 86400:
        text += f" ({value / 86400:.3g} d)"
    elif value >= 2 * 3600:
        text += f" ({value / 3600:.3g} h)"
    return text


def parse_bytes(text: str) -> int:
    """A memory size from text: ``'20G'``, ``'512M'``, ``'1.5GiB'``, ``'256GiB'``, ``'1TiB'`` or a plain number
    of bytes (binary units). Raises ``ValueError`` naming the text when it is not one."""
    units = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    try:
        if t and t[-1] in units:
            return int(float(t[:-1]) * units[t[-1]])
        return int(float(t))
    except ValueError:
        raise ValueError(f"cannot read {text!r} as a memory size (e.g. 20G, 512M, 256GiB)") from None
