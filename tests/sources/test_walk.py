"""sources/walk.py's `jsonl_files` against what it replaces, Python's own `rglob` + `resolve`, on a tree holding
every case: nesting, hidden names, a symlinked file (kept, resolved), a symlinked folder (not entered), a broken
link, a folder named *.jsonl, another case, and a root that is itself a link."""

from __future__ import annotations

from pathlib import Path

from ccp_assets.sources.walk import jsonl_files


def _reference(root: Path) -> set[Path]:
    return {p.resolve() for p in root.rglob("*.jsonl") if p.is_file()}


def _tree(tmp: Path) -> Path:
    outside = tmp / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "linked.jsonl").write_text("{}\n")
    (outside / "deep" / "only_via_dir_link.jsonl").write_text("{}\n")
    root = tmp / "real" / "projects"
    for rel in ("p1/a.jsonl", "p1/subagents/agent-1.jsonl", ".hidden/h.jsonl", "p2/.dot.jsonl", "p2/B.JSONL",
                "p2/notes.txt", "top.jsonl"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("{}\n")
    (root / "folder.jsonl").mkdir()
    (root / "p2" / "link.jsonl").symlink_to(outside / "linked.jsonl")
    (root / "p2" / "broken.jsonl").symlink_to(tmp / "nowhere.jsonl")
    (root / "dirlink").symlink_to(outside / "deep")
    (tmp / "via").mkdir()
    (tmp / "via" / "projects").symlink_to(root)
    return root


def test_same_files_as_rglob_and_resolve(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    expected = {(root / rel).resolve() for rel in ("p1/a.jsonl", "p1/subagents/agent-1.jsonl", ".hidden/h.jsonl",
                                                   "p2/.dot.jsonl", "top.jsonl")} | {tmp_path / "outside" / "linked.jsonl"}
    assert jsonl_files(root) == expected == _reference(root)
    linked_root = tmp_path / "via" / "projects"
    assert jsonl_files(linked_root) == _reference(linked_root) == expected


def test_a_missing_root_is_empty(tmp_path: Path) -> None:
    assert jsonl_files(tmp_path / "absent") == set() == _reference(tmp_path / "absent")
