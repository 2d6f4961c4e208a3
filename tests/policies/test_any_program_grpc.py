"""Any program (issue 14 part 2): equivalent evidence from tools our components do not use,
judged over the pack's real gRPC.

The estate of policy_testkit/any_program.py (cert-manager + istio-csr + pulumi-tls for the
mesh's shared root, OPA Gatekeeper + Ratify for image signatures) passes clean; each mutation
an engineer could make fails on its control, on the cluster it was made on: clusters chaining
to different roots, a root made in the cluster by a selfSigned issuer, the CA Secret missing,
a constraint in dryrun, Ratify's provider or verifier missing, a workload namespace excluded.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_testkit import any_program as ap
from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import Estate
from ztc_policy.findings import decode

MTLS, PROVENANCE = "ZT-MTLS-SHARED-ROOT", "ZT-IMAGE-PROVENANCE"


def _failures(result, control: str, cluster: str) -> list[str]:
    """Mandatory messages naming `control` on `cluster`."""
    return [d.message for d in result.mandatory if f"[{control}] (cluster {cluster})" in d.message]


def _constraint(e: Estate, cluster: str) -> dict:
    return e.named(f"{cluster}-ratify-constraint").inputs


def test_the_any_program_estate_passes_clean(pack):
    result = run(pack, ap.build().resources)
    assert [(d.policy_name, d.message) for d in result.mandatory] == []


# --- the mesh's shared root --------------------------------------------------------------------
def _different_roots(e: Estate) -> str:
    other = ap.tls_root(e, "other-root")
    ca = e.named("hand-gcp-mesh-ca")
    ca.property_dependencies.update(caCertPem=[other[0]], caPrivateKeyPem=[other[1]])
    ca.dependencies = [d for d in ca.dependencies if "mesh-root" not in d] + list(other)
    return "chains to SelfSignedCert other-root, not to one root shared by every cluster"


def _self_signed_in_cluster(e: Estate) -> str:
    """The usual istio-csr tutorial: a selfSigned Issuer makes a CA Certificate in the
    cluster, which the CA Issuer signs with."""
    e.resources.remove(e.named("hand-aws-istio-ca-secret"))
    ref = ap.provider_ref(e, "hand-aws")
    e.add(ap.ISSUER, "hand-aws-selfsigned", {
        "metadata": {"name": "selfsigned", "namespace": "istio-system"},
        "spec": {"selfSigned": {}}}, provider=ref)
    e.add(ap.CERTIFICATE, "hand-aws-istio-ca-cert", {
        "metadata": {"name": "istio-ca", "namespace": "istio-system"},
        "spec": {"isCA": True, "commonName": "istio-ca", "secretName": "istio-ca",
                 "privateKey": {"algorithm": "ECDSA", "size": 256},
                 "issuerRef": {"name": "selfsigned", "kind": "Issuer",
                               "group": "cert-manager.io"}}}, provider=ref)
    return "Issuer selfsigned is a selfSigned issuer"


def _ca_secret_missing(e: Estate) -> str:
    e.resources.remove(e.named("hand-azure-istio-ca-secret"))
    return "CA Secret istio-system/istio-ca is not in the stack"


def _root_signs_itself(e: Estate) -> str:
    secret = e.named("hand-gcp-istio-ca-secret")
    secret.property_dependencies["stringData"] = [e.named("mesh-root").urn]
    return "holds the root certificate itself as its signing CA"


def _intermediate_not_a_ca(e: Estate) -> str:
    e.named("hand-aws-mesh-ca").inputs["isCaCertificate"] = False
    return "LocallySignedCert hand-aws-mesh-ca is not a CA certificate"


def _istio_csr_names_another_issuer(e: Estate) -> str:
    values = e.named("hand-azure-istio-csr").inputs["values"]["app"]["certmanager"]
    values["issuer"]["name"] = "elsewhere"
    return "names Issuer istio-system/elsewhere, which is not in the stack"


def _same_intermediate(e: Estate) -> str:
    secret = e.named("hand-azure-istio-ca-secret")
    secret.property_dependencies["stringData"] = [
        e.named("hand-aws-mesh-ca").urn, e.named("hand-aws-mesh-ca-key").urn,
        e.named("mesh-root").urn]
    return "signs with the same CA as cluster hand-aws"



def _no_mesh_ca(e: Estate) -> str:
    e.resources.remove(e.named("hand-gcp-istio-csr"))
    return "no pki-intermediate and no mesh CA for this cluster"


MTLS_MUTATIONS: dict[str, tuple[str, Callable[[Estate], str]]] = {
    "different-roots": ("hand-gcp", _different_roots),
    "self-signed-per-cluster": ("hand-aws", _self_signed_in_cluster),
    "ca-secret-missing": ("hand-azure", _ca_secret_missing),
    "root-signs-itself": ("hand-gcp", _root_signs_itself),
    "intermediate-not-a-ca": ("hand-aws", _intermediate_not_a_ca),
    "istio-csr-issuer-missing": ("hand-azure", _istio_csr_names_another_issuer),
    "no-mesh-ca": ("hand-gcp", _no_mesh_ca),
    "same-intermediate": ("hand-azure", _same_intermediate),
}


@pytest.mark.parametrize("name", sorted(MTLS_MUTATIONS))
def test_a_broken_shared_root_fails_on_that_cluster(pack, name):
    cluster, mutate = MTLS_MUTATIONS[name]
    e = ap.build()
    expected = mutate(e)
    failures = _failures(run(pack, e.resources), MTLS, cluster)
    assert any(expected in m for m in failures), failures


def test_every_cluster_self_signed_is_three_roots(pack):
    """Each cluster bootstraps its own root: no cluster shares one, so every one fails."""
    e = ap.build()
    for cluster in ap.CLUSTERS:
        e.resources.remove(e.named(f"{cluster}-istio-ca-secret"))
        e.add(ap.ISSUER, f"{cluster}-root-issuer", {
            "metadata": {"name": "istio-ca", "namespace": "istio-system"},
            "spec": {"selfSigned": {}}}, provider=ap.provider_ref(e, cluster))
        e.resources.remove(e.named(f"{cluster}-istio-ca"))
    result = run(pack, e.resources)
    for cluster in ap.CLUSTERS:
        assert any("is a selfSigned issuer" in m for m in _failures(result, MTLS, cluster))


def test_istios_cacerts_from_the_shared_root_is_equivalent(pack):
    """Istio's plug-in CA instead of istio-csr: a cacerts Secret filled from the cluster's
    intermediate passes; filled from another root, it fails."""
    e = ap.build()
    for cluster in ap.CLUSTERS:
        e.resources.remove(e.named(f"{cluster}-istio-csr"))
        ca, root = e.named(f"{cluster}-mesh-ca").urn, e.named("mesh-root").urn
        e.add(ap.SECRET, f"{cluster}-cacerts", {
            "metadata": {"name": "cacerts", "namespace": "istio-system"},
            "stringData": {k: ap.UNKNOWN for k in ("ca-cert.pem", "ca-key.pem",
                                                  "cert-chain.pem", "root-cert.pem")}},
            provider=ap.provider_ref(e, cluster), deps=[ca, root],
            prop_deps={"stringData": [ca, e.named(f"{cluster}-mesh-ca-key").urn, root]})
    assert [d.message for d in run(pack, e.resources).mandatory] == []
    other = ap.tls_root(e, "other-root")
    e.named("hand-aws-mesh-ca").property_dependencies["caCertPem"] = [other[0]]
    assert any("chains to SelfSignedCert other-root" in m
               for m in _failures(run(pack, e.resources), MTLS, "hand-aws"))


def _pem(body: str) -> str:
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_the_shared_root_is_told_by_its_certificate_once_known(pack):
    """CA material from outside the stack (no certificate resource): the root certificate
    PEMs (ca.crt) must be the same on every cluster."""
    e = ap.build()
    e.resources = [r for r in e.resources if not r.type.startswith("tls:")]
    for cluster in ap.CLUSTERS:
        secret = e.named(f"{cluster}-istio-ca-secret")
        secret.property_dependencies, secret.dependencies = {}, []
        del secret.inputs["stringData"]
        secret.inputs["data"] = {"tls.crt": _b64(_pem(f"INTERMEDIATE-{cluster}")),
                                 "tls.key": _b64("key"), "ca.crt": _b64(_pem("ROOT-A"))}
    assert [d.message for d in run(pack, e.resources).mandatory] == []
    e.named("hand-gcp-istio-ca-secret").inputs["data"]["ca.crt"] = _b64(_pem("ROOT-B"))
    assert any("not to one root shared by every cluster" in m
               for m in _failures(run(pack, e.resources), MTLS, "hand-gcp"))
    e.named("hand-gcp-istio-ca-secret").inputs["data"]["tls.crt"] = _b64(_pem("ROOT-A"))
    e.named("hand-gcp-istio-ca-secret").inputs["data"]["ca.crt"] = _b64(_pem("ROOT-A"))
    assert any("signs with its root certificate itself" in m
               for m in _failures(run(pack, e.resources), MTLS, "hand-gcp"))


def test_unknown_ca_material_is_not_a_pass(pack):
    """The Secret's PEMs unknown and no resource to follow: not verifiable, never passed."""
    e = ap.build()
    secret = e.named("hand-aws-istio-ca-secret")
    secret.property_dependencies, secret.dependencies = {}, []
    failures = _failures(run(pack, e.resources), MTLS, "hand-aws")
    assert any("Secret istio-system/istio-ca tls.crt could not be verified" in m
               for m in failures), failures


# --- image signatures through Gatekeeper and Ratify --------------------------------------------
def _dryrun(e: Estate) -> str:
    _constraint(e, "hand-aws")["spec"]["enforcementAction"] = "dryrun"
    return "spec.enforcementAction is 'dryrun', not deny"


def _warn(e: Estate) -> str:
    _constraint(e, "hand-gcp")["spec"]["enforcementAction"] = "warn"
    return "spec.enforcementAction is 'warn', not deny"


def _provider_missing(e: Estate) -> str:
    e.resources.remove(e.named("hand-azure-ratify-provider"))
    return "no external data Provider 'ratify-provider' in the stack"


def _provider_not_ratify(e: Estate) -> str:
    e.named("hand-aws-ratify-provider").inputs["spec"]["url"] = "https://tagger:8090/tag"
    return "are not Ratify's"


def _verifier_missing(e: Estate) -> str:
    e.resources.remove(e.named("hand-gcp-verifier-notation"))
    return "no Ratify Verifier of type notation or cosign"


def _namespace_excluded(e: Estate) -> str:
    _constraint(e, "hand-gcp")["spec"]["match"]["excludedNamespaces"].append("pay*")
    return "workload namespace 'payments' is not checked"


def _namespaces_listed(e: Estate) -> str:
    _constraint(e, "hand-azure")["spec"]["match"]["namespaces"] = ["frontend"]
    return "workload namespace 'payments' is not checked"


def _not_pods(e: Estate) -> str:
    _constraint(e, "hand-aws")["spec"]["match"]["kinds"] = [
        {"apiGroups": ["apps"], "kinds": ["Deployment"]}]
    return "spec.match.kinds does not reach Pods"


def _config_exempts(e: Estate) -> str:
    e.add("kubernetes:config.gatekeeper.sh/v1alpha1:Config", "hand-azure-gk-config", {
        "metadata": {"name": "config", "namespace": "gatekeeper-system"},
        "spec": {"match": [{"excludedNamespaces": ["frontend"], "processes": ["*"]}]}},
        provider=ap.provider_ref(e, "hand-azure"))
    return "Gatekeeper Config config exempts it from the webhook"


def _ignore_label(e: Estate) -> str:
    labels = e.named("hand-aws-payments").inputs["metadata"]["labels"]
    labels["admission.gatekeeper.sh/ignore"] = "yes"
    return "admission.gatekeeper.sh/ignore exempts it"


def _no_constraint(e: Estate) -> str:
    e.resources.remove(e.named("hand-gcp-ratify-constraint"))
    return "has no constraint of kind 'RatifyVerification'"


def _fails_open(e: Estate) -> str:
    e.named("hand-azure-gatekeeper").inputs["values"] = {}
    return "validatingWebhookFailurePolicy is 'Ignore (the default)', not Fail"


def _webhook_disabled(e: Estate) -> str:
    e.named("hand-aws-gatekeeper").inputs["values"]["disableValidatingWebhook"] = True
    return "disableValidatingWebhook is true"


def _gatekeeper_elsewhere(e: Estate) -> str:
    e.resources.remove(e.named("hand-gcp-gatekeeper"))
    return "Gatekeeper's webhook failure policy could not be verified at preview (its Helm " \
        "release is not in this stack)"


PROVENANCE_MUTATIONS: dict[str, tuple[str, Callable[[Estate], str]]] = {
    "webhook-fails-open": ("hand-azure", _fails_open),
    "webhook-disabled": ("hand-aws", _webhook_disabled),
    "gatekeeper-release-elsewhere": ("hand-gcp", _gatekeeper_elsewhere),
    "enforcement-dryrun": ("hand-aws", _dryrun),
    "enforcement-warn": ("hand-gcp", _warn),
    "ratify-provider-missing": ("hand-azure", _provider_missing),
    "provider-not-ratify": ("hand-aws", _provider_not_ratify),
    "verifier-missing": ("hand-gcp", _verifier_missing),
    "namespace-excluded": ("hand-gcp", _namespace_excluded),
    "namespaces-listed": ("hand-azure", _namespaces_listed),
    "kinds-not-pods": ("hand-aws", _not_pods),
    "config-exempts": ("hand-azure", _config_exempts),
    "ignore-label": ("hand-aws", _ignore_label),
    "no-constraint": ("hand-gcp", _no_constraint),
}


@pytest.mark.parametrize("name", sorted(PROVENANCE_MUTATIONS))
def test_gatekeeper_ratify_that_does_not_enforce_fails_on_that_cluster(pack, name):
    cluster, mutate = PROVENANCE_MUTATIONS[name]
    e = ap.build()
    expected = mutate(e)
    failures = _failures(run(pack, e.resources), PROVENANCE, cluster)
    assert any(expected in m for m in failures), failures


def test_a_scoped_constraint_enforces_only_where_the_webhook_denies(pack):
    e = ap.build()
    spec = _constraint(e, "hand-aws")["spec"]
    spec["enforcementAction"] = "scoped"
    spec["scopedEnforcementActions"] = [
        {"action": "deny", "enforcementPoints": [{"name": "validation.gatekeeper.sh"}]},
        {"action": "warn", "enforcementPoints": [{"name": "audit.gatekeeper.sh"}]}]
    assert _failures(run(pack, e.resources), PROVENANCE, "hand-aws") == []
    spec["scopedEnforcementActions"] = [
        {"action": "deny", "enforcementPoints": [{"name": "audit.gatekeeper.sh"}]},
        {"action": "warn", "enforcementPoints": [{"name": "validation.gatekeeper.sh"}]}]
    assert any("spec.enforcementAction is 'scoped', not deny" in m
               for m in _failures(run(pack, e.resources), PROVENANCE, "hand-aws"))


def test_a_template_that_asks_no_verifier_is_no_provenance_on_eks(pack):
    """EKS has no cloud-side provenance: a Gatekeeper template that does not consult an
    external data provider about the images is not an image-provenance policy."""
    e = ap.build()
    e.named("hand-aws-ratify-template").inputs["spec"]["targets"][0]["rego"] = (
        "package k8srequiredlabels\nviolation[{\"msg\": \"no\"}] { false }\n"
        "# response := external_data({\"provider\": \"ratify-provider\", \"keys\": []})\n")
    (message,) = [d.message for d in run(pack, e.resources).mandatory
                  if d.policy_name == "posture-evidence"
                  and f"[{PROVENANCE}] (cluster hand-aws)" in d.message]
    assert "no admission policy for images" in message


# --- our own two phases: the cluster phase's cacerts comes from the cloud phase ----------------
@pytest.fixture(scope="module")
def dev():
    from zero_trust_clusters.engine.preview import capture_stack

    return capture_stack("dev")


def _analyze(pack, resources):
    from zero_trust_clusters.engine.analyzer import _analyze as analyze
    from zero_trust_clusters.engine.runner import PROJECT

    return analyze(pack.stub, resources, {r.urn: r for r in resources}, "dev", PROJECT, None,
                   True)


def _secret_data(resource) -> dict:
    """A captured Secret's `data` (the engine keeps secret values wrapped)."""
    data = resource.inputs["data"]
    return data.get("value", data)


def test_a_cluster_phase_alone_proves_the_shared_root_by_its_certificates(pack, dev):
    """Our cluster-phase stack fills Istio's cacerts from the cloud phase's outputs, known at
    preview: the three clusters' root-cert.pem are the same certificate, each ca-cert.pem its
    own, so the shared root is proven there (not deferred); another root on one cluster fails."""
    resources = copy.deepcopy(dev.phases["cluster"].resources)
    result = _analyze(pack, resources)
    assert [d.message for d in result.mandatory] == []
    deferred = [d.message for d in result.diagnostics if d.policy_name == "phase-elsewhere"]
    assert len(deferred) == 3 and not any(MTLS in m for m in deferred)
    (cacerts,) = [r for r in resources if r.name == "dev-gcp-secret-istio-system-cacerts"]
    _secret_data(cacerts)["root-cert.pem"] = _b64(_pem(_b64("another root")))
    failures = _failures(_analyze(pack, resources), MTLS, "dev-gcp")
    assert any("not to one root shared by every cluster" in m for m in failures), failures


def test_a_mixed_estate_shares_our_pki_root_by_its_fingerprint(pack):
    """Two clusters on our PKI, one whose Istio cacerts holds CA material from elsewhere: its
    root-cert.pem is our pki-root when its SHA-256 fingerprint is the one the root states."""
    import hashlib

    from policy_testkit.handwritten import build

    der = b"the shared root's DER bytes"
    e = build()
    e.named("root-ca").inputs["fingerprintSha256"] = hashlib.sha256(der).hexdigest()
    for inter in ("hand-aws-intermediate", "hand-azure-intermediate"):
        e.named(inter).inputs["rootFingerprintSha256"] = hashlib.sha256(der).hexdigest()
    e.resources.remove(e.named("hand-gcp-intermediate"))
    e.add(ap.RELEASE, "hand-gcp-istiod", {  # where its trust domain is stated now
        "chart": "istiod", "namespace": "istio-system",
        "values": {"meshConfig": {"trustDomain": "hand-gcp.hand.example.com"}}},
        provider=ap.provider_ref(e, "hand-gcp"))
    cacerts = e.add(ap.SECRET, "hand-gcp-cacerts", {
        "metadata": {"name": "cacerts", "namespace": "istio-system"},
        "data": {"ca-cert.pem": _b64(_pem(_b64("hand-gcp intermediate"))),
                 "ca-key.pem": _b64("key"), "root-cert.pem": _b64(_pem(_b64(der.decode()))),
                 "cert-chain.pem": _b64(_pem(_b64("hand-gcp intermediate")))}},
        provider=ap.provider_ref(e, "hand-gcp"))
    assert _failures(run(pack, e.resources), MTLS, "hand-gcp") == []
    (secret,) = [r for r in e.resources if r.urn == cacerts]
    secret.inputs["data"]["root-cert.pem"] = _b64(_pem(_b64("another root")))
    failures = _failures(run(pack, e.resources), MTLS, "hand-gcp")
    assert any("the root certificate in Secret istio-system/cacerts root-cert.pem, not to one "
               "root shared by every cluster (hand-aws, hand-azure -> pki-root root-ca" in m
               for m in failures), failures


def test_istio_csr_states_the_trust_domains_the_mesh_may_name(pack):
    """Without our intermediates, istio-csr's app.tls.trustDomain tells the estate's trust
    domains: an AuthorizationPolicy admitting callers of any other trust domain fails."""
    e = ap.build()
    rule = e.named("hand-aws-payments-allow").inputs["spec"]["rules"][0]
    rule["from"][0]["source"]["principals"].append("evil.example.com/ns/frontend/sa/*")
    assert any("names trust domain 'evil.example.com', which is no cluster of this estate" in m
               for m in _failures(run(pack, e.resources), MTLS, "hand-aws"))


def test_a_ca_certificate_from_a_shared_root_issuer_is_equivalent(pack):
    """The other cert-manager way: in every cluster a CA ClusterIssuer holds the shared root
    (from the pulumi-tls SelfSignedCert) and signs the cluster's own isCA Certificate, with
    which istio-csr's Issuer signs. Same root everywhere passes; another root on one fails."""
    e = ap.build()
    root = e.named("mesh-root").urn
    for cluster in ap.CLUSTERS:
        ref = ap.provider_ref(e, cluster)
        e.resources.remove(e.named(f"{cluster}-istio-ca-secret"))
        e.add(ap.SECRET, f"{cluster}-root-secret", {
            "metadata": {"name": "mesh-root", "namespace": "cert-manager"},
            "type": "kubernetes.io/tls", "stringData": {"tls.crt": ap.UNKNOWN,
                                                        "tls.key": ap.UNKNOWN}},
            provider=ref, deps=[root], prop_deps={"stringData": [
                root, e.named("mesh-root-key").urn]})
        e.add("kubernetes:cert-manager.io/v1:ClusterIssuer", f"{cluster}-root-issuer", {
            "metadata": {"name": "mesh-root"}, "spec": {"ca": {"secretName": "mesh-root"}}},
            provider=ref)
        e.add(ap.CERTIFICATE, f"{cluster}-istio-ca-cert", {
            "metadata": {"name": "istio-ca", "namespace": "istio-system"},
            "spec": {"isCA": True, "commonName": f"{cluster} mesh CA", "secretName": "istio-ca",
                     "issuerRef": {"name": "mesh-root", "kind": "ClusterIssuer",
                                   "group": "cert-manager.io"}}}, provider=ref)
    assert [d.message for d in run(pack, e.resources).mandatory] == []
    other = ap.tls_root(e, "other-root")
    e.named("hand-azure-root-secret").property_dependencies["stringData"] = list(other)
    assert any("chains to SelfSignedCert other-root" in m
               for m in _failures(run(pack, e.resources), MTLS, "hand-azure"))
    e.named("hand-aws-istio-ca-cert").inputs["spec"]["isCA"] = False
    assert any("Certificate istio-system/istio-ca (the CA Secret istio-system/istio-ca of "
               "Issuer istio-ca) is not a CA" in m
               for m in _failures(run(pack, e.resources), MTLS, "hand-aws"))


def test_the_ratify_chart_stands_for_its_provider_and_verifiers(pack):
    """Installed with the Ratify chart, the Provider and Verifiers are the chart's (notation
    and cosign unless disabled): no objects to read, the release's values say it."""
    e = ap.build()
    for cluster in ap.CLUSTERS:
        e.resources.remove(e.named(f"{cluster}-ratify-provider"))
        e.resources.remove(e.named(f"{cluster}-verifier-notation"))
        e.add(ap.RELEASE, f"{cluster}-ratify", {
            "chart": "ratify/ratify", "namespace": "gatekeeper-system", "values": {}},
            provider=ap.provider_ref(e, cluster))
    assert [d.message for d in run(pack, e.resources).mandatory] == []
    e.named("hand-gcp-ratify").inputs["values"] = {"notation": {"enabled": False},
                                                   "cosign": {"enabled": False}}
    assert any("no Ratify Verifier of type notation or cosign" in m
               for m in _failures(run(pack, e.resources), PROVENANCE, "hand-gcp"))


# --- robust: any value on the new paths is answered, never raised -----------------------------
ANY = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
    | st.sampled_from([ap.UNKNOWN, "deny", "Fail", "istio-ca", "ClusterIssuer", "*", "kube-*",
                       "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "kind", "group", "namespaces", "excludedNamespaces", "kinds",
                         "apiGroups", "ca", "secretName", "selfSigned", "issuerRef", "isCA",
                         "enabled", "tls.crt", "ca.crt", "rego", "url", "type"]) | st.text(
            max_size=6), inner, max_size=4),
    max_leaves=12)
_NEW_TYPES = (ap.SECRET, ap.ISSUER, ap.CERTIFICATE, ap.RELEASE, ap.SELF_SIGNED,
              ap.LOCALLY_SIGNED, ap.TEMPLATE, ap.CONSTRAINT, ap.PROVIDER, ap.VERIFIER)
FUZZ_BASE = ap.build()
FUZZ_TARGETS = [i for i, r in enumerate(FUZZ_BASE.resources) if r.type in _NEW_TYPES]
FUZZ_PATHS = ["spec", "spec.match", "spec.enforcementAction", "spec.ca", "spec.issuerRef",
              "spec.targets", "spec.url", "spec.type", "values", "stringData", "data",
              "metadata", "caCertPem", "isCaCertificate", "certPem", "chart"]


def _set_path(inputs: dict, path: str, value) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        if not isinstance(inputs.get(key), dict):
            inputs[key] = {}
        inputs = inputs[key]
    inputs[leaf] = value


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(edits=st.lists(st.tuples(st.sampled_from(FUZZ_TARGETS), st.sampled_from(FUZZ_PATHS), ANY),
                      max_size=6),
       deps=st.lists(st.tuples(st.sampled_from(FUZZ_TARGETS), st.sampled_from(FUZZ_TARGETS)),
                     max_size=4))
def test_fuzz_the_any_program_estate_is_always_answered(pack, edits, deps):
    resources = copy.deepcopy(FUZZ_BASE.resources)
    for i, path, value in edits:
        _set_path(resources[i].inputs, path, value)
    for i, j in deps:  # property dependencies in any direction: cycles included
        for prop in ("stringData", "caCertPem"):
            resources[i].property_dependencies.setdefault(prop, []).append(resources[j].urn)
    try:
        result = run(pack, resources)
    except grpc.RpcError as error:
        pytest.fail(f"{error.code()}: {error.details()}")
    for d in result.diagnostics:
        assert decode(d.message, d.description) is not None, d.message
        # The pack turns an exception into "could not be judged": none may come from here.
        assert "could not be judged" not in d.message, d.message
