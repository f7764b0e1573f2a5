"""`python -m workbench`: the same command line as `workbench`."""
from .cli import run

run()
