"""The digest of the program and policy code that ran: git commit and tree hashes.

`tree` is always the tree of the files actually on disk. On a clean checkout it equals
the commit's tree. On a dirty one (uncommitted or untracked, non-ignored files) the
entry says `dirty: true` and `tree` is computed from the working files through a
throw-away index, so the record names exactly what ran instead of the commit it
started from. The real index and HEAD are never touched (the blobs git writes for the
temporary tree are unreferenced objects that `git gc` removes).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Subtrees recorded on their own so a reviewer sees at a glance whether the policy
# pack or the component library changed between two entries.
NAMED_SUBTREES = {"policies": "zero_trust_clusters/policies",
                  "components": "zero_trust_clusters/components"}


class CodeDigestError(RuntimeError):
    pass


@dataclass(frozen=True)
class CodeDigest:
    commit: str | None
    tree: str | None
    dirty: bool
    subtrees: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "tree": self.tree,
            "dirty": self.dirty,
            "subtrees": dict(self.subtrees),
        }


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise CodeDigestError(f"git {' '.join(args)} failed in {repo}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _working_tree(repo: Path, head: str | None) -> str:
    """Tree hash of the working files (tracked + untracked, minus ignored)."""
    with tempfile.TemporaryDirectory(prefix="ztc-ledger-index-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if head:
            _git(repo, "read-tree", head, env=env)
        _git(repo, "add", "-A", "--", ".", env=env)
        return _git(repo, "write-tree", env=env)


def code_digest(repo_dir: Path) -> CodeDigest:
    """Commit, tree and dirtiness of the git work tree at `repo_dir`.

    Raises CodeDigestError when `repo_dir` is not a git work tree: an entry without a
    code digest would claim nothing, so the caller must decide (the CLI says how).
    """
    repo_dir = Path(repo_dir)
    try:
        top = Path(_git(repo_dir, "rev-parse", "--show-toplevel"))
    except (CodeDigestError, FileNotFoundError) as exc:
        raise CodeDigestError(
            f"{repo_dir} is not a git work tree, so the code that runs cannot be named; "
            "run from the project checkout or pass --repo <checkout>"
        ) from exc
    try:
        head: str | None = _git(top, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    except CodeDigestError:
        head = None  # a fresh repository without commits
    dirty = bool(_git(top, "status", "--porcelain", "--untracked-files=normal"))
    if head and not dirty:
        tree = _git(top, "rev-parse", f"{head}^{{tree}}")
    else:
        tree = _working_tree(top, head)
    subtrees = {}
    for name, path in NAMED_SUBTREES.items():
        try:
            subtrees[name] = _git(top, "rev-parse", f"{tree}:{path}")
        except CodeDigestError:
            continue  # not present in this repository
    return CodeDigest(commit=head, tree=tree, dirty=dirty, subtrees=subtrees)
