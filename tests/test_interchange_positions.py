"""Position conversion, checked against independent computations: UTF-16 code units from
Python's own UTF-16 encoder, CR LF as one from str.replace, NFC from unicodedata."""
from __future__ import annotations

import io
import unicodedata
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st
from refi_helpers import make_zip, mini_qdpx

from workbench.interchange.positions import Normalizer, StoredText, find_excerpt, matches_excerpt, producer_of
from workbench.interchange.refi_read import read_refi_bytes

# text with the characters that make producers disagree: emoji (2 UTF-16 units), CR LF, lone
# CR, combining accents (NFC composes them), Hangul jamo
ALPHABET = st.sampled_from(list("ab ,.\n") + ["\r\n", "\r", "😀", "𝔸", "e\u0301", "\u0301",
                                              "é", "\u1100\u1161", "ß"])
TEXTS = st.lists(ALPHABET, min_size=0, max_size=40).map("".join)


def utf16_units(text: str, i: int) -> int:
    return len(text[:i].encode("utf-16-le")) // 2


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.data())
def test_utf16_positions_map_back_to_code_points(text, data):
    stored = StoredText(text)
    i = data.draw(st.integers(0, len(text)))
    assert stored.to_raw(utf16_units(text, i), "utf16") == i
    assert stored.length("utf16") == utf16_units(text, len(text))


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.data())
def test_a_position_inside_a_surrogate_pair_is_invalid(text, data):
    stored = StoredText(text + "😀")
    u = utf16_units(text, len(text)) + 1           # between the two halves of the emoji
    assert stored.to_raw(u, "utf16") is None
    assert stored.to_raw(-1, "utf16") is None and stored.to_raw(10 ** 9, "utf16") is None


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.data())
def test_crlf_counted_as_one(text, data):
    stored = StoredText(text)
    i = data.draw(st.integers(0, len(text)))
    if 0 < i < len(text) and text[i - 1] == "\r" and text[i] == "\n":
        i -= 1                                       # not a place a CR-LF-as-one producer has
    p = len(text[:i].replace("\r\n", "\n"))
    assert stored.to_raw(p, "crlf1") == i


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.data())
def test_normalized_slices_are_the_normalized_text_of_the_stored_slice(text, data):
    norm = Normalizer(text)
    lf = lambda s: s.replace("\r\n", "\n").replace("\r", "\n")
    assert norm.text == unicodedata.normalize("NFC", lf(text))
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, len(text)))
    whole = unicodedata.normalize("NFC", lf(text))
    pieces = [unicodedata.normalize("NFC", lf(x)) for x in (text[:i], text[i:j], text[j:])]
    def clean_cut(k):   # not inside CR LF, not before a combining mark or a Hangul vowel
        return not (0 < k < len(text) and (text[k - 1:k + 1] == "\r\n" or unicodedata.combining(
            text[k]) or "\u1161" <= text[k] <= "\u11c2"))
    if "".join(pieces) == whole and clean_cut(i) and clean_cut(j):
        # a cut NFC does not move: the slice is exactly the normalized stored slice (a cut inside
        # a character and its accents takes the whole character)
        assert norm.text[norm.start(i):norm.end(j)] == pieces[1]
    # always: a valid range of the normalized text, and the whole text maps to the whole text
    assert 0 <= norm.start(i) <= norm.end(j) <= len(norm.text)
    assert (norm.start(0), norm.end(len(text))) == (0, len(norm.text))


def test_nvivo_counts_emoji_twice_and_crlf_as_two():
    text = "Hi 😀\r\nMoney talks 🤣🤣.\r\nEnd"
    start = text.index("Money")
    end = text.index(".") + 1
    u = lambda i: utf16_units(text, i)
    refi = read_refi_bytes(mini_qdpx(text, u(start), u(end), origin="NVivo for Windows 12.6"))
    src = refi.sources[0]
    sel = src.selections[0]
    assert src.profile == "utf16"
    assert src.text[sel.start:sel.end] == "Money talks 🤣🤣."
    assert src.text == text.replace("\r\n", "\n")


def test_atlas_counts_crlf_as_one():
    text = "Line one\r\nLine two\r\nThe breakfast of champions\r\n"
    start = len(text[:text.index("The")].replace("\r\n", "\n"))
    refi = read_refi_bytes(mini_qdpx(text, start, start + 9, origin="ATLAS.ti 9.1",
                                     excerpt="The break"))
    sel = refi.sources[0].selections[0]
    assert refi.sources[0].text[sel.start:sel.end] == "The break"
    assert sel.check == "excerpt"


def test_excerpts_override_a_wrong_producer_guess():
    # a producer we do not know counted UTF-16 units; its excerpts tell
    text = "😀😀😀 one two three four five"
    start, end = utf16_units(text, 4), utf16_units(text, 11)
    refi = read_refi_bytes(mini_qdpx(text, start, end, origin="SomeTool 2", excerpt="one two"))
    src = refi.sources[0]
    assert src.profile == "utf16"
    assert src.text[src.selections[0].start:src.selections[0].end] == "one two"
    assert any("positions read as 'utf16'" in w for w in refi.warnings)


def test_a_selection_whose_excerpt_is_elsewhere_is_moved_and_reported():
    text = "alpha beta gamma delta epsilon zeta"
    refi = read_refi_bytes(mini_qdpx(text, 0, 10, excerpt="gamma delta epsilon"))
    sel = refi.sources[0].selections[0]
    assert (sel.check, text[sel.start:sel.end]) == ("moved", "gamma delta epsilon")
    assert any("placed where its excerpt is" in w for w in refi.warnings)


def test_out_of_range_and_mismatching_selections_are_dropped_with_reasons():
    refi = read_refi_bytes(mini_qdpx("short text", 3, 400))
    assert not refi.sources[0].selections
    assert "outside the text" in refi.dropped[0].reason
    # a name that is not the text and occurs nowhere is a title, not an excerpt: kept, unchecked
    refi = read_refi_bytes(mini_qdpx("short text here", 0, 5, excerpt="my favourite passage"))
    assert refi.sources[0].selections[0].check == "unchecked"
    # …but where the other names are excerpts, a name that matches nothing drops its selection
    qdpx = mini_qdpx("short text here and more", 0, 5, excerpt="short")
    z = zipfile.ZipFile(io.BytesIO(qdpx))
    qde = z.read("project.qde").decode()
    i, j = qde.index("<PlainTextSelection"), qde.index("</PlainTextSelection>") + 21
    second = qde[i:j].replace("55555555-5555", "77777777-7777").replace("66666666-6666",
                                                                         "88888888-8888")
    second = second.replace('name="short"', 'name="nowhere at all"').replace(
        'startPosition="0" endPosition="5"', 'startPosition="6" endPosition="10"')
    qde = qde[:j] + second + qde[j:]
    refi = read_refi_bytes(make_zip({"project.qde": qde.encode(), **{
        n: z.read(n) for n in z.namelist() if n != "project.qde"}}))
    assert [s.name for s in refi.sources[0].selections] == ["short"]
    assert "excerpt does not match" in refi.dropped[0].reason


def test_excerpt_helpers():
    assert matches_excerpt("For some reason babies aren't", "For some reason…")
    assert not matches_excerpt("For no reason", "For some reason…")
    assert matches_excerpt("a\n  b", "a b")
    assert find_excerpt("x a b x a  b", "a b", near=6)[:2] == (8, 12)
    assert find_excerpt("x a b x a  b", "a b", near=3)[:2] == (2, 5)
    assert producer_of("NVivo for Mac 15.0.0") == "nvivo"
    assert producer_of("ATLAS.ti 8.4.0 573 , macOS") == "atlasti"
    assert producer_of("qc 1.3.2") == "qc"
