"""Indexing: discovery of apps and settings, and ``ast`` parsing of files into plain facts."""
