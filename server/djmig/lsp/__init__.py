"""The language server: pygls wiring only. The analysis lives in ``djmig.analysis``."""
