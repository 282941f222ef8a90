"""djmig: static analysis of Django migrations, served over LSP and the command line."""

__version__ = "0.1.0"
