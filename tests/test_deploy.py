"""The deployment files in deploy/: each parsed, and checked by Ray's own schemas where Ray has one."""

from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
ray = pytest.importorskip("ray")


def test_the_cluster_launcher_config_is_valid_for_ray_and_has_gpu_painters():
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = prepare_config(yaml.safe_load((DEPLOY / "ray-cluster.yaml").read_text()))
    validate_config(config)  # raises on anything `ray up` would refuse

    head = config["available_node_types"][config["head_node_type"]]
    painters = [kind for kind in config["available_node_types"].values() if kind["resources"].get("GPU")]
    assert "GPU" not in head["resources"] and painters
    assert any("sightgag[ray]" in command for command in config["setup_commands"])


def test_the_rayservice_manifest_deploys_the_studio_application_on_gpu_workers():
    from ray._common.utils import import_attr
    from ray.serve.deployment import Application
    from ray.serve.schema import ServeDeploySchema

    documents = list(yaml.safe_load_all((DEPLOY / "rayservice.yaml").read_text()))
    service = next(document for document in documents if document["kind"] == "RayService")
    assert service["apiVersion"] == "ray.io/v1"
    cluster = service["spec"]["rayClusterConfig"]
    assert cluster["rayVersion"] == ray.__version__

    serve_config = ServeDeploySchema.model_validate(yaml.safe_load(service["spec"]["serveConfigV2"]))
    (application,) = serve_config.applications
    built = import_attr(application.import_path)(application.args)  # what KubeRay's Serve controller does
    assert isinstance(built, Application)

    workers = cluster["workerGroupSpecs"]
    assert all(
        group["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1" for group in workers
    )
    assert application.args["max_painters"] <= sum(group["maxReplicas"] for group in workers)
    # Painters see the gallery's volume at the head's path, read-only: subjects' LoRAs and photos.
    head_mounts = cluster["headGroupSpec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    worker_mounts = workers[0]["template"]["spec"]["containers"][0]["volumeMounts"]
    shared = next(mount for mount in worker_mounts if mount["name"] == "sightgag-data")
    assert shared["readOnly"] and shared["mountPath"] in {mount["mountPath"] for mount in head_mounts}


def test_a_serve_config_refuses_fewer_than_one_painter():
    from sightgag.errors import UsageError
    from sightgag.server.ray_app import app

    with pytest.raises(UsageError, match="min_painters 2 and max_painters 1"):
        app({"min_painters": 2, "max_painters": 1})
