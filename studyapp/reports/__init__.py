"""Reports: ReportLab PDFs and charts.

Charts are computed once as renderer-neutral geometry (``charts.py``: frozen dataclasses in
points, y growing down) and drawn by a renderer: inline SVG for the pages now, ReportLab for
the PDFs, so the page and the printout show the same picture.
"""
