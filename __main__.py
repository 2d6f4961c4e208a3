"""The Zero-Trust Clusters program of this repository's stacks (stacks/Pulumi.<stack>.yaml).

Everything happens in `zero_trust_clusters.program.run`: see it for the two phases (DEPLOYING.md).
"""

from pathlib import Path

from zero_trust_clusters.program import run

run(Path(__file__).parent)
