"""WebVTT and SRT transcripts (webvtt-py).

A cue's speaker is its ``<v Speaker>`` voice or a leading ``Speaker:``; a cue without one
continues the previous speaker. Consecutive cues of the same speaker form one turn (transcription
services split long turns into many cues), timestamped with the first cue's start (HH:MM:SS).
Cue lines are joined with spaces. The text is rendered as in ``rendered.py``."""
from __future__ import annotations

import io
from pathlib import Path

import webvtt
from webvtt.errors import MalformedFileError

from ..errors import TranscriptError
from .lines import SPEAKER_LINE, decode, normalize, speaker_label
from .rendered import render_turns


def read_subtitles(path: Path, fmt: str, data: bytes | None = None):
    text = normalize(decode(path.read_bytes() if data is None else data, path))
    try:
        captions = list(webvtt.from_buffer(io.StringIO(text), format=fmt))  # type: ignore[call-overload]
    except MalformedFileError as e:
        raise TranscriptError(f"not a valid {fmt.upper()} file ({e})", file=path,
                              hint="check the cue timings ('00:00:01.000 --> 00:00:04.000')") from None
    except (ValueError, IndexError) as e:
        raise TranscriptError(f"not a valid {fmt.upper()} file ({e})", file=path) from None
    if not captions:
        raise TranscriptError(f"the {fmt.upper()} file has no cues", file=path,
                              hint="export the transcript with its subtitles/cues")
    turns: list[list] = []
    for cap in captions:
        body = " ".join(line.strip() for line in cap.text.split("\n") if line.strip())
        speaker = cap.voice.strip() if cap.voice else None
        if speaker is None:
            m = SPEAKER_LINE.match(body)
            label = speaker_label(m) if m else None
            if m is not None and label is not None:
                speaker, body = label, body[m.end():].strip()
        if not body:
            continue
        if turns and (speaker is None or speaker == turns[-1][0]):
            turns[-1][2] += " " + body
        else:
            turns.append([speaker, cap.start.split(".")[0].split(",")[0], body])
    return [tuple(t) for t in turns]


def render_subtitles(path: Path, fmt: str, data: bytes | None = None):
    text, spans = render_turns(read_subtitles(path, fmt, data))
    return {}, text, spans
