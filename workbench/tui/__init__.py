"""The terminal coding workbench (Textual). Only this package imports textual and rich."""
