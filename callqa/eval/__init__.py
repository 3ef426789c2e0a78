"""Evaluation: labelled calls against records or the analysis (compare), the report tables
(report), and need accuracy on public corpora (public)."""
