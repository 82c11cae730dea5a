"""The repository itself: what a clone gets must work on any machine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _git(root: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, check=True).stdout


def escaping_symlinks(root: Path) -> list[str]:
    """Symlinks git tracks in ``root`` (mode 120000, from the index) whose target is absolute or
    resolves outside ``root``: on another machine they point at nothing, or at anything."""
    bad = []
    for entry in _git(root, "ls-files", "-s", "-z").split(b"\0"):
        if not entry.startswith(b"120000 "):
            continue
        meta, path = entry.decode().split("\t", 1)
        target = _git(root, "cat-file", "blob", meta.split()[1]).decode()
        resolved = Path(os.path.normpath(root / Path(path).parent / target))
        if os.path.isabs(target) or not resolved.is_relative_to(root):
            bad.append(f"{path} -> {target}")
    return sorted(bad)


def test_no_tracked_file_is_a_symlink_leaving_the_repository():
    assert escaping_symlinks(REPO_ROOT) == []


def test_the_symlink_check_finds_absolute_and_escaping_links(tmp_path):
    # The check on a scratch repository: it must see what the real one should not have.
    _git(tmp_path, "init", "-q")
    (tmp_path / "inside.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ok").symlink_to("../inside.txt")
    (tmp_path / "absolute").symlink_to("/work/venv")
    (tmp_path / "sub" / "escaping").symlink_to("../../elsewhere")
    _git(tmp_path, "add", "-A")

    assert escaping_symlinks(tmp_path) == [
        "absolute -> /work/venv",
        "sub/escaping -> ../../elsewhere",
    ]
