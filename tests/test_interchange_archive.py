"""A .qdpx is checked before anything is read from it: no member outside the target, no links,
bounded sizes and member count, and a clear error for a non-zip or a zip without a .qde."""
from __future__ import annotations

import io
import zipfile

import pytest
from refi_helpers import make_zip, mini_qdpx

from workbench.cli import main
from workbench.errors import InterchangeError
from workbench.interchange.archive import Archive, Limits
from workbench.interchange.refi_read import read_refi, read_refi_bytes

QDE = b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>'


@pytest.mark.parametrize("name", ["../evil.txt", "sources/../../evil.txt", "/etc/evil.txt",
                                  "C:/Windows/evil.txt", "c:evil.txt", "..\\evil.txt",
                                  "sources\\..\\..\\evil.txt"])
def test_zip_slip_members_refuse_the_whole_archive(name):
    data = make_zip({"project.qde": QDE, name: b"x"})
    with pytest.raises(InterchangeError) as e:
        read_refi_bytes(data, "evil.qdpx")
    assert "refused, nothing was read" in str(e.value)
    assert name in str(e.value) or name.replace("\\", "/") in str(e.value)


def test_symlink_member_is_refused():
    data = make_zip({"project.qde": QDE, "sources/a.txt": b"/etc/passwd"}, links=("sources/a.txt",))
    with pytest.raises(InterchangeError, match="symbolic link"):
        read_refi_bytes(data, "links.qdpx")


def test_too_many_members_is_refused():
    data = make_zip({"project.qde": QDE, **{f"sources/{i}.txt": b"" for i in range(10)}})
    with pytest.raises(InterchangeError, match="11 members, more than the 5"):
        Archive("many.qdpx", Limits(members=5), data=io.BytesIO(data))


def test_declared_total_over_the_bound_is_refused_before_reading():
    data = make_zip({"project.qde": QDE, "sources/big.txt": b"0" * 50_000})
    with pytest.raises(InterchangeError, match="zip bomb"):
        Archive("bomb.qdpx", Limits(total=10_000), data=io.BytesIO(data))


def test_a_member_larger_than_the_read_bound_is_not_read():
    data = make_zip({"project.qde": QDE + b" " * 5000})
    with pytest.raises(InterchangeError, match="more than the 1,000 the workbench reads"):
        read_refi_bytes(data, "big.qdpx", limits=Limits(member=1000))


def test_compressed_bomb_member_is_refused_by_its_size():
    # 20 MB of zeros compress to ~20 KB: the bound applies to what it unpacks to
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", QDE)
        with z.open("sources/zeros.txt", "w") as f:
            for _ in range(20):
                f.write(bytes(1024 * 1024))
    assert len(buf.getvalue()) < 200_000
    with Archive("bomb.qdpx", Limits(member=1024 * 1024), data=io.BytesIO(buf.getvalue())) as a, \
            pytest.raises(InterchangeError, match="20,971,520 bytes"):
        a.read("sources/zeros.txt")


def test_not_a_zip_and_zip_without_qde_say_so(tmp_path):
    bad = tmp_path / "notes.qdpx"
    bad.write_text("just some text", encoding="utf-8")
    with pytest.raises(InterchangeError, match="not a zip file"):
        read_refi(bad)
    empty = tmp_path / "empty.qdpx"
    empty.write_bytes(make_zip({"sources/a.txt": b"hello"}))
    with pytest.raises(InterchangeError, match=r"no project file \(\*\.qde\)"):
        read_refi(empty)


def test_encrypted_member_is_refused():
    data = bytearray(make_zip({"project.qde": QDE}))
    # set the 'encrypted' flag bit in the local and central headers
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        i = data.find(sig)
        off = i + (6 if sig == b"PK\x03\x04" else 8)
        data[off] |= 0x01
    with pytest.raises(InterchangeError, match="encrypted"):
        read_refi_bytes(bytes(data), "locked.qdpx")


def test_qde_named_after_the_project_and_capital_sources_folder_are_found():
    qde = mini_qdpx("Money talks.", 0, 5, folder="Sources/")
    z = zipfile.ZipFile(io.BytesIO(qde))
    renamed = make_zip({"Trial.QDE": z.read("project.qde"),
                        **{n: z.read(n) for n in z.namelist() if n != "project.qde"}})
    refi = read_refi_bytes(renamed, "trial.qdpx")
    assert [s.text for s in refi.sources] == ["Money talks."]
    assert refi.sources[0].selections[0].start == 0


def test_several_root_qde_files_are_ambiguous():
    data = make_zip({"a.qde": QDE, "b.qde": QDE})
    with pytest.raises(InterchangeError, match="several project files: a.qde, b.qde"):
        read_refi_bytes(data, "two.qdpx")


def test_dtd_and_entities_are_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Project name="&b;"/>')
    with pytest.raises(InterchangeError, match="refused for safety"):
        read_refi_bytes(make_zip({"project.qde": bomb}), "laugh.qdpx")
    external = (b'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b'<Project name="&x;"/>')
    with pytest.raises(InterchangeError, match="refused for safety"):
        read_refi_bytes(external, "x.qde")


def test_cli_refuses_an_unsafe_archive_in_one_line_and_writes_nothing(small_project, tmp_path,
                                                                     capsys):
    evil = tmp_path / "evil.qdpx"
    evil.write_bytes(make_zip({"project.qde": QDE, "../../outside.txt": b"x"}))
    before = sorted(p.name for p in (small_project / "transcripts").iterdir())
    assert main(["import", str(small_project), str(evil)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "climbs out of the archive" in err
    assert sorted(p.name for p in (small_project / "transcripts").iterdir()) == before
    assert not (tmp_path / "outside.txt").exists()
