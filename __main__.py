"""Zero-Trust Clusters: stack config -> validated spec -> ZeroTrustEstate -> exports."""

from pathlib import Path

import pulumi

from components.estate import EstateArgs, ZeroTrustEstate
from components.spec import SpecError, config_key, load_spec

config = pulumi.Config()  # the project namespace: zero-trust-clusters:<key>
try:
    spec = load_spec(
        {
            **{k: v for k in ("posture", "clusters") if (v := config.get_object(k))},
            # Read here only to check the offline root before anything is registered.
            **{k: v for k in ("pkiRootKey", "pkiRootPassphrase") if (v := config.get(k))},
        },
        project_dir=Path(__file__).parent,
    )
except SpecError as error:
    # A clean one-screen error naming the keys, and nothing registered.
    raise pulumi.RunError(str(error)) from None

offline_root_pem = None
if spec.posture.pki.root_mode == "offline":
    root_file = Path(__file__).parent / str(spec.posture.pki.offline_root_certificate_file)
    if not root_file.is_file():
        raise pulumi.RunError(
            f"{config_key('posture', 'pki', 'offlineRootCertificateFile')}: {root_file} does not "
            "exist; "
            "create it with `ztc pki init-root`"
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
