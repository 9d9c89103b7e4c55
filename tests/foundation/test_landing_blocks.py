"""Landing reads whole blocks of lines: every kept line must still carry its exact byte offset and number."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ccp_assets.sources.landing import FileCursor, _Batch, _blocks

LINE = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\n", exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(["", "   ", "\t"]),  # blank lines: skipped, numbering kept
).map(lambda s: s.encode("utf-8")) | st.binary(max_size=12).filter(lambda b: b"\n" not in b)


def _land_file(path: Path, start: int = 0, line_no: int = 0) -> _Batch:
    st_ = path.stat()
    cur = FileCursor(str(path), start, line_no, False, st_.st_dev, st_.st_ino, st_.st_size, st_.st_mtime)
    batch = _Batch()
    for offset, first, raws in _blocks(cur):
        batch.add_block(cur.path, offset, first, raws, None)
    return batch


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(LINE, max_size=30))
def test_offsets_numbers_and_problems_match_a_line_by_line_read(tmp_path_factory, lines: list[bytes]) -> None:
    path = tmp_path_factory.mktemp("blocks") / "t.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    batch = _land_file(path)
    expected, offset = [], 0
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            try:
                expected.append((offset, number, raw.decode("utf-8"), None))
            except UnicodeDecodeError:
                expected.append((offset, number, raw.decode("utf-8", "replace"), "not UTF-8"))
        offset += len(raw) + 1
    got = [(o, n, t, p and p[:9]) for o, n, t, p in zip(batch.offset, batch.line_no, batch.line, batch.problem,
                                                       strict=True)]
    assert got == expected
    data = path.read_bytes()
    for o, text, problem in zip(batch.offset, batch.line, batch.problem, strict=True):
        if problem is None:  # the offset points at the line itself
            assert data[o:].split(b"\n", 1)[0].decode("utf-8") == text


def test_a_resumed_read_continues_numbering_from_the_cursor(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"a":1}\n\n{"b":2}\n{"c":3}\n')
    batch = _land_file(path, start=len(b'{"a":1}\n\n'), line_no=2)
    assert (batch.offset, batch.line_no, batch.line) == ([9, 17], [3, 4], ['{"b":2}', '{"c":3}'])
