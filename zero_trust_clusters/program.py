"""Zero-Trust Clusters: stack config -> validated spec -> one of the two phases -> exports.

- The cloud phase (default; stacks/Pulumi.<env>.yaml) creates every cluster, the shared PKI and
  the ledger store through cloud APIs only: `ZeroTrustEstate`.
- The cluster phase (`zero-trust-clusters:phase: cluster`, stacks/Pulumi.<env>-cluster.yaml)
  applies the in-cluster baseline from the deployer network: `ClusterPhase`. It renders the
  spec of its cloud stack (`zero-trust-clusters:cloudStack`) and reads that stack's outputs.
See DEPLOYING.md.
"""

from pathlib import Path

import pulumi

from zero_trust_clusters.components.spec import CONFIG_NAMESPACE, SpecError, config_key, load_spec
from zero_trust_clusters.engine.stackfile import StackFileError, load_stack_config

PHASES = ("cloud", "cluster")


def run(project_dir: Path) -> None:
    """The whole program: read this stack's config (the project's namespace) and build its phase.

    `project_dir` is the program's directory: relative paths in the config (the offline root
    certificate) and the cloud stack's file (`stacks/Pulumi.<cloudStack>.yaml`) are read from it.
    A Pulumi program that wants the stock behaviour is one line:
    `run(Path(__file__).parent)` (see __main__.py and examples/).
    """
    # Our namespace in any project (`zero-trust-clusters:posture`, ...), as cloud providers
    # keep theirs (`aws:region`): the stack file says which keys are ours.
    config = pulumi.Config(CONFIG_NAMESPACE)
    phase = config.get("phase") or "cloud"
    if phase not in PHASES:
        raise pulumi.RunError(
            f"{config_key('phase')}: {phase!r} is not a phase; use cloud or cluster")
    (cloud_phase if phase == "cloud" else cluster_phase)(config, project_dir)


def _spec(raw: dict, project_dir: Path, *, check_offline_root: bool = True):
    try:
        return load_spec(raw, project_dir=project_dir, check_offline_root=check_offline_root)
    except SpecError as error:
        # A clean one-screen error naming the keys, and nothing registered.
        raise pulumi.RunError(str(error)) from None


def cloud_phase(config: pulumi.Config, project_dir: Path) -> None:
    from zero_trust_clusters.components.estate import EstateArgs, ZeroTrustEstate

    spec = _spec({
        **{k: v for k in ("posture", "clusters") if (v := config.get_object(k))},
        # Read here only to check the offline root before anything is registered.
        **{k: v for k in ("pkiRootKey", "pkiRootPassphrase") if (v := config.get(k))},
    }, project_dir)
    offline_root_pem = None
    if spec.posture.pki.root_mode == "offline":
        root_file = project_dir / str(spec.posture.pki.offline_root_certificate_file)
        if not root_file.is_file():
            raise pulumi.RunError(
                f"{config_key('posture', 'pki', 'offlineRootCertificateFile')}: {root_file} "
                "does not exist; create it with `ztc pki init-root`"
            )
        offline_root_pem = root_file.read_text()
    estate = ZeroTrustEstate(
        pulumi.get_stack(),
        EstateArgs(
            spec=spec,
            offline_root_certificate_pem=offline_root_pem,
            offline_root_key_pem=config.get_secret("pkiRootKey"),
            offline_root_passphrase=config.get_secret("pkiRootPassphrase"),
        ),
    )
    pulumi.export("clusters", estate.cluster_outputs)
    pulumi.export("posture", estate.posture_summary)
    pulumi.export("rootCertificatePem", estate.pki.root_certificate_pem)
    pulumi.export("clusterPhase", estate.cluster_phase_inputs)  # a secret


def cluster_phase(config: pulumi.Config, project_dir: Path) -> None:
    from zero_trust_clusters.components.cluster_phase import (
        BASELINE_VERSIONS_OUTPUT,
        CLUSTER_PHASE_OUTPUT,
        ClusterPhase,
        ClusterPhaseArgs,
    )

    cloud_stack = config.get("cloudStack")
    if not cloud_stack:
        raise pulumi.RunError(
            f"{config_key('cloudStack')}: is required with phase cluster; name the stack of "
            "the cloud phase (e.g. dev)"
        )
    stack_name = cloud_stack.rsplit("/", 1)[-1]
    try:
        cloud_config, _secure = load_stack_config(stack_name, project_dir)
    except StackFileError as error:
        raise pulumi.RunError(f"{config_key('cloudStack')}: {error}") from None
    # The posture and clusters only: the cloud phase's secrets are none of this phase's business.
    # The root signs nothing here: its key and passphrase belong to the cloud phase.
    spec = _spec({k: v for k, v in cloud_config.items()
                  if k.rpartition(":")[2] in ("posture", "clusters")}, project_dir,
                 check_offline_root=False)
    # A bare stack name is the cloud stack of this project in this organization.
    qualified = cloud_stack if "/" in cloud_stack else (
        f"{pulumi.get_organization()}/{pulumi.get_project()}/{cloud_stack}"
    )
    reference = pulumi.StackReference(qualified)
    phase_component = ClusterPhase(
        pulumi.get_stack(),
        ClusterPhaseArgs(
            spec=spec,
            cloud_phase=reference.require_output(CLUSTER_PHASE_OUTPUT),
            cloud_stack=stack_name,
        ),
    )
    pulumi.export("cloudStack", qualified)
    pulumi.export(
        "clusters", {name: b.controls for name, b in phase_component.baselines.items()}
    )
    # Each baseline's Kubernetes minor, by component URN: the schema stage validates a canary
    # cluster's objects against its own version (engine/schema/kubernetes.py context).
    pulumi.export(BASELINE_VERSIONS_OUTPUT, [
        {"component": baseline.urn, "kubernetesVersion": cluster.version(spec.posture)}
        for cluster in spec.clusters
        for baseline in [phase_component.baselines[cluster.name]]
    ])
