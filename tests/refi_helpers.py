"""Helpers for the REFI-QDA interchange tests: where the real samples are, small archives."""
from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "tests" / "data" / "refi"      # the REFI-QDA XSDs (MIT, © REFI)
SAMPLES = Path(os.environ.get("WORKBENCH_REFI_SAMPLES", "/work/shared/refi-qda-samples"))

NVIVO_WIN = "nvivo-12.6-win_oltas0517.qdpx"
NVIVO_MAC = "nvivo-15.0-mac_nvivo_project.qdpx"
MAXQDA = "maxqda-24.7_ICLS_Conf_Themes_just10.qdpx"
ATLAS_BLANK = "atlasti-23.2.3-win_blank-atlas-project.qdpx"
ATLAS_TARGET = "atlasti-23.2.3-win_target-atlas-project.qdpx"
ATLAS_ANNEX = "atlasti-8.4-mac_spec-annexA2_transcribed.qde"
TAGUETTE = "taguette-1.4.1_codebook.qdc"
QC = "qc-1.3.2_demo.qdpx"
ALL_SAMPLES = (NVIVO_WIN, NVIVO_MAC, MAXQDA, ATLAS_BLANK, ATLAS_TARGET, ATLAS_ANNEX, TAGUETTE, QC)


def sample(name: str) -> Path:
    """A real REFI-QDA export (shared/refi-qda-samples, or $WORKBENCH_REFI_SAMPLES); the test
    is skipped when the samples are not on this machine (their licences keep them out of the
    repository)."""
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"REFI-QDA sample {name} not found (set WORKBENCH_REFI_SAMPLES)")
    return path


def make_zip(members: dict[str, bytes], *, links: tuple[str, ...] = ()) -> bytes:
    """A zip in memory; ``links`` are written as symbolic-link members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in links:
                info.create_system = 3
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, data)
    return buf.getvalue()


MINI_QDE = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="mini" origin="{origin}">
 <Users><User guid="11111111-1111-1111-1111-111111111111" name="Zoë K."/></Users>
 <CodeBook><Codes>
  <Code guid="22222222-2222-2222-2222-222222222222" name="Theme" isCodable="false" color="#F0A">
   <Description>All themes</Description>
   <Code guid="33333333-3333-3333-3333-333333333333" name="Money" isCodable="true"/>
  </Code>
 </Codes></CodeBook>
 <Sources>
  <TextSource guid="44444444-4444-4444-4444-444444444444" name="{name}"
              plainTextPath="internal://44444444-4444-4444-4444-444444444444.txt">
   <PlainTextSelection guid="55555555-5555-5555-5555-555555555555" name="{excerpt}"
                       startPosition="{start}" endPosition="{end}">
    <Coding guid="{coding}"
            creatingUser="11111111-1111-1111-1111-111111111111">
     <CodeRef targetGUID="33333333-3333-3333-3333-333333333333"/>
    </Coding>
   </PlainTextSelection>
  </TextSource>
 </Sources>
</Project>
"""


def mini_qdpx(text: str, start: int, end: int, *, excerpt: str = "", origin: str = "Tests 1.0",
              name: str = "Interview A", folder: str = "sources/",
              coding: str = "66666666-6666-6666-6666-666666666666") -> bytes:
    """A one-source, one-coding .qdpx: ``text`` coded with 'Money' from start to end."""
    qde = MINI_QDE.format(origin=origin, name=name, excerpt=excerpt, start=start, end=end,
                          coding=coding)
    return make_zip({"project.qde": qde.encode("utf-8"),
                     f"{folder}44444444-4444-4444-4444-444444444444.txt": text.encode("utf-8")})
