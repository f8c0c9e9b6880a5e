"""Fixtures of the offline deploy checks: the compose file as the Compose binary
resolves it, and every Kubernetes manifest.
"""

from __future__ import annotations

import pytest
import yaml

from tests.contract.deploy_artefacts import K8S_DIR, compose_config


@pytest.fixture(scope="package")
def config(tmp_path_factory) -> dict:
    return compose_config(tmp_path_factory.mktemp("compose"))


@pytest.fixture(scope="package")
def manifests() -> list[dict]:
    files = sorted([*K8S_DIR.glob("*.yaml"), *K8S_DIR.glob("*.yml")])
    assert files, f"no manifests in {K8S_DIR}"
    documents = []
    for path in files:
        for document in yaml.safe_load_all(path.read_text()):
            if document is None:
                continue
            assert {"apiVersion", "kind", "metadata"} <= set(document), path.name
            document["_file"] = path.name
            documents.append(document)
    return documents
