"""An AWS-only estate with the stock program: config under this project's namespace
(`zero-trust-clusters:posture`, `zero-trust-clusters:clusters`), both phases (DEPLOYING.md)."""

from pathlib import Path

from zero_trust_clusters.program import run

run(Path(__file__).parent)
