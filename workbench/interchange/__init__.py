"""REFI-QDA interchange: bring projects and codebooks in from other QDA programs (NVivo,
ATLAS.ti, MAXQDA, QualCoder, Taguette, …) and give them back. No UI code.

- ``archive.py``      safe reading of a ``.qdpx`` zip (no path outside, no links, bounded sizes)
- ``values.py``       XML through defusedxml, dates, colours, numbers, text file decoding
- ``positions.py``    a producer's text positions → code points of our normalized text
- ``placing.py``      per source: which way its positions were counted; each selection checked
- ``model.py``        the plain dataclasses a REFI-QDA file is read into, and what was dropped
- ``refi_read.py``    the lenient reader: ``read_refi(path)`` → :class:`~.model.RefiProject`
- ``matching.py``     which of our transcripts a source is, and how its positions map onto ours
- ``refi_project.py`` apply a read file to a project (``init_from_refi``, ``import_refi``)
- ``summary.py``      :class:`~.summary.ImportSummary`: what came in, what was dropped and why
- ``refi_write.py``   the strict writer: ``export_qdpx(project, path)``, ``export_qdc(...)``

See docs/INTERCHANGE.md for what is imported, dropped and converted per producer.
"""
