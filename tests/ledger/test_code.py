from pathlib import Path

import pytest

from zero_trust_clusters.components.ledger.code import CodeDigestError, code_digest

from .support import git


def test_clean_checkout_names_its_commit_and_tree(repo: Path):
    result = code_digest(repo)
    assert result.commit == git(repo, "rev-parse", "HEAD")
    assert result.tree == git(repo, "rev-parse", "HEAD^{tree}")
    assert not result.dirty
    assert result.subtrees["policies"] == git(repo, "rev-parse", "HEAD:zero_trust_clusters/policies")


def test_dirty_tree_is_flagged_and_hashed_as_it_is_on_disk(repo: Path):
    clean = code_digest(repo)
    (repo / "zero_trust_clusters" / "policies" / "rules.py").write_text("RULES = ['weakened']\n")
    (repo / "new_module.py").write_text("x = 1\n")  # untracked files ran too
    dirty = code_digest(repo)
    assert dirty.dirty and dirty.commit == clean.commit
    assert dirty.tree != clean.tree
    assert dirty.subtrees["policies"] != clean.subtrees["policies"]
    # The real index is untouched: nothing got staged behind the user's back.
    assert git(repo, "diff", "--cached", "--name-only") == ""
    # Honest: the recorded tree is exactly what committing those files produces.
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "weaken")
    assert git(repo, "rev-parse", "HEAD^{tree}") == dirty.tree
    assert not code_digest(repo).dirty


def test_not_a_checkout_is_an_error_that_says_what_to_do(tmp_path: Path):
    with pytest.raises(CodeDigestError, match="--repo"):
        code_digest(tmp_path)
