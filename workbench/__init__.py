"""workbench: code interview transcripts against a codebook, measure agreement, count opinions."""
__version__ = "0.1.0"
