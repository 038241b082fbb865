"""Reports: ReportLab PDFs and charts.

Charts are computed once as renderer-neutral geometry (``charts.py``: the platelet chart laid
out on the axes of ``scales.py`` with the primitives of ``shapes.py``, frozen dataclasses in
points, y growing down) and drawn by a renderer: inline SVG for the pages now (``svg.py``),
ReportLab for the PDFs, so the page and the printout show the same picture.
"""
