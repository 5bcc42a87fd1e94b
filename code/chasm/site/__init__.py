"""Stage 6: the book itself. The strict build, its Sphinx extension, and the dump of what pages show.

- :mod:`~chasm.site.build`       ``python -m chasm.site.build --out DIR``
- :mod:`~chasm.site.sphinxext`   re-executes a chapter when the files it declares change
- :mod:`~chasm.site.dump`        every glued value, page number and chart digest of a built book
"""
