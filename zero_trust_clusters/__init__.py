"""Zero-Trust Clusters: EKS, AKS and GKE clusters with one zero-trust posture, proven offline by a
CrossGuard policy pack.

One import package: `components` (the Pulumi components), `engine` (the offline preview),
`report` (the matrix and reports), `cli` (the `ztc` command) and `policies` (the policy pack
directory, shipped as package data: `ztc pack-dir` prints it for
`pulumi preview --policy-pack "$(ztc pack-dir)"`).
"""

from pathlib import Path

# The policy pack's directory (PulumiPolicy.yaml, __main__.py, ztc_policy/): the Pulumi CLI serves
# it from here, and the engine and report put it on sys.path to import `ztc_policy`.
PACK_DIR = Path(__file__).resolve().parent / "policies"
