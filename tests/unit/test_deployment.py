"""The deployment files, checked without a Docker engine or a cluster (neither is on the machines that test).

deploy/: every resource kustomize renders is validated against Kubernetes' JSON schemas (kubernetes-validate,
strict: an unknown or misspelt field fails), and what must agree with the service is read from the service
itself: the port gunicorn binds, its graceful timeout, the settings the memory figures depend on.
docker-compose.yml: `docker-compose config` (Debian's docker-compose, installed by scripts/system-packages.sh,
which `make test` runs) must accept it; its parsed form runs the same command as `make serve`.
"""

import ast
import functools
import inspect
import json
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from keras_shape_service.executors.supervisor import ExecutorSupervisor
from keras_shape_service.schemas.examples import SEED_LAYERS
from keras_shape_service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVE_COMMAND = ["gunicorn", "--config", "keras_shape_service/gunicorn_conf.py"]
HEALTH_PATHS = {"/healthz", "/readyz"}
# The oldest Kubernetes the manifests are meant for (autoscaling/v2, policy/v1, the PDB's
# unhealthyPodEvictionPolicy all exist there) and the newest kubernetes-validate ships.
KUBERNETES_VERSIONS = ["1.30", kubernetes_validate.latest_version()]

# Resident memory (RSS, MiB) of each process of one replica after warm-up and load, measured on the development
# machine (deploy/README.md, "What a replica costs"). RSS counts the pages that executors share copy-on-write
# with their manager in each of them, so sums of these overstate what the kernel charges the container.
MASTER_MB, MANAGER_MB, HTTP_WORKER_MB, EXECUTOR_MB = 45, 500, 60, 240
MIB = 2**20


# ---------------------------------------------------------------------------------------------- helpers


def render_kustomization() -> list[dict]:
    """deploy/ as `kubectl apply -k deploy/` applies it, less the hash kustomize appends to a generated
    ConfigMap's name. Only what is used is rendered; anything else in kustomization.yaml fails here."""
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    understood = {"apiVersion", "kind", "resources", "configMapGenerator"}
    assert set(kustomization) <= understood, f"render_kustomization() does not know {set(kustomization) - understood}"
    resources = []
    for name in kustomization["resources"]:
        resources += [document for document in yaml.safe_load_all((DEPLOY / name).read_text()) if document]
    for generator in kustomization.get("configMapGenerator", []):
        assert set(generator) <= {"name", "files", "options"} and set(generator.get("options", {})) <= {"labels"}
        assert not any("=" in file for file in generator["files"]), "key=path entries are not rendered here"
        metadata = {"name": generator["name"]}
        if generator.get("options", {}).get("labels"):
            metadata["labels"] = generator["options"]["labels"]
        resources.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": metadata,
                "data": {Path(file).name: (DEPLOY / file).read_text() for file in generator["files"]},
            }
        )
    return resources


RESOURCES = render_kustomization()


def only(kind: str) -> dict:
    found = [resource for resource in RESOURCES if resource["kind"] == kind]
    assert len(found) == 1, f"expected one {kind} in deploy/, found {len(found)}"
    return found[0]


def container(name: str = "keras-shape-service") -> dict:
    """A container of the pod: the service's, or its nginx front."""
    containers = only("Deployment")["spec"]["template"]["spec"]["containers"]
    assert sorted(c["name"] for c in containers) == ["keras-shape-service", "nginx"]
    return next(c for c in containers if c["name"] == name)


def container_env() -> dict[str, str]:
    """The container's environment: the image's ENV (Dockerfile) under the Deployment's env."""
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(re.findall(r"^ENV (.+)$", (ROOT / "Dockerfile").read_text(), re.M))))
    for variable in container()["env"]:
        assert set(variable) == {"name", "value"}, f"{variable['name']}: only literal values are read here"
        env[variable["name"]] = variable["value"]
    return env


def gunicorn_settings(monkeypatch, env: dict[str, str]) -> dict:
    """keras_shape_service/gunicorn_conf.py as gunicorn reads it in a process with this environment."""
    for name in ("HOST", "PORT", "WEB_CONCURRENCY", "KSS_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace: dict = {}
    exec((ROOT / "keras_shape_service" / "gunicorn_conf.py").read_text(), namespace)
    return namespace


def container_port(port, name: str = "keras-shape-service") -> int:
    """A port of a container, by name or number."""
    for declared in container(name)["ports"]:
        if port in (declared["containerPort"], declared.get("name")):
            return declared["containerPort"]
    raise AssertionError(f"the container declares no port {port!r}")


def mebibytes(quantity: str) -> float:
    """A Kubernetes memory quantity in MiB."""
    number, unit = re.fullmatch(r"([0-9.]+)([KMGT]i?)?", str(quantity)).groups()
    scale = {
        None: 1,
        "Ki": 2**10,
        "Mi": 2**20,
        "Gi": 2**30,
        "Ti": 2**40,
        "K": 10**3,
        "M": 10**6,
        "G": 10**9,
        "T": 10**12,
    }[unit]
    return float(number) * scale / MIB


def seconds(duration: str) -> float:
    """A compose duration ("80s", "1m30s") in seconds."""
    parts = re.findall(r"([0-9.]+)(h|ms|m|s|us)", duration)
    assert "".join(number + unit for number, unit in parts) == duration, duration
    return sum(float(number) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6}[unit] for number, unit in parts)


def setting(env: dict[str, str], name: str) -> int:
    """A KSS_ setting as the service would read it from this environment: the value set, else its default."""
    variable = f"KSS_{name.upper()}"
    return int(env[variable]) if variable in env else Settings.model_fields[name].default


def required(env: dict[str, str], variable: str) -> int:
    assert variable in env, f"set {variable} in the Deployment: its default is the node's core count"
    return int(env[variable])


def serve_command() -> list[str]:
    """`make serve`'s recipe, with the venv's path to gunicorn dropped."""
    recipe = re.search(r"^serve:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    return [Path(recipe[0]).name, *recipe[1:]]


@functools.cache
def compose_config() -> dict:
    """docker-compose.yml as `docker-compose config` validates and resolves it (a function, not a fixture, so
    that a refusal fails each test that reads it rather than erroring)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail(
            "docker-compose is not installed: `make test` installs it (scripts/system-packages.sh, as "
            "root; or `sudo scripts/system-packages.sh`)"
        )
    done = subprocess.run(
        [binary, "-f", "docker-compose.yml", "config"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"docker-compose config refused docker-compose.yml:\n{done.stderr}"
    return yaml.safe_load(done.stdout)


# ------------------------------------------------------------------------------------------- Kubernetes


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: f"{r['kind']}/{r['metadata']['name']}")
def test_every_resource_validates_against_the_kubernetes_schemas(resource, version):
    kubernetes_validate.validate(resource, version, strict=True)


def test_every_manifest_in_deploy_is_a_kustomization_resource():
    listed = set(yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["resources"])
    on_disk = {path.name for path in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk == listed, "a manifest outside kustomization.yaml would be neither applied nor validated"
    assert {resource["kind"] for resource in RESOURCES} == {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
    }


def test_kubectl_renders_the_kustomization_as_these_tests_read_it():
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip(
            "kubectl is not installed (not a Debian package at a usable version); the manifests are "
            "still validated as render_kustomization() reads them"
        )
    done = subprocess.run([kubectl, "kustomize", str(DEPLOY)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rendered = done.stdout
    for generator in yaml.safe_load((DEPLOY / "kustomization.yaml").read_text()).get("configMapGenerator", []):
        hashed = set(re.findall(rf"\b{re.escape(generator['name'])}-[a-z0-9]{{10}}\b", rendered))
        assert len(hashed) == 1, f"the generated ConfigMap and every reference to it: {hashed}"
        rendered = rendered.replace(hashed.pop(), generator["name"])
    by_kubectl = {(r["kind"], r["metadata"]["name"]): r for r in yaml.safe_load_all(rendered) if r}
    assert by_kubectl == {(r["kind"], r["metadata"]["name"]): r for r in RESOURCES}


def test_probes_ask_the_health_endpoints_on_the_container_port():
    spec = container()
    probes = {kind: spec[kind] for kind in ("startupProbe", "readinessProbe", "livenessProbe")}
    for kind, probe in probes.items():
        assert container_port(probe["httpGet"]["port"]) == container_port("app"), kind
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"  # alive: an HTTP worker answers
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"  # ready: an executor is warm
    assert probes["startupProbe"]["httpGet"]["path"] in HEALTH_PATHS
    startup = probes["startupProbe"]
    # Warm-up takes ~3 s on the development machine (README's benchmark), up to ~10 s on a loaded node.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60


def test_the_container_port_is_the_one_gunicorn_binds(monkeypatch):
    bind = gunicorn_settings(monkeypatch, container_env())["bind"]
    host, port = bind.rsplit(":", 1)
    assert host == "0.0.0.0", "gunicorn must listen on the pod's address, not only on loopback"
    assert int(port) == container_port("app")
    annotations = only("Deployment")["spec"]["template"]["metadata"].get("annotations", {})
    assert int(annotations.get("prometheus.io/port", port)) == int(port)


def test_termination_grace_outlasts_the_graceful_shutdown(monkeypatch):
    pod = only("Deployment")["spec"]["template"]["spec"]
    graceful_timeout = gunicorn_settings(monkeypatch, container_env())["graceful_timeout"]
    executors_stop = inspect.signature(ExecutorSupervisor.stop).parameters["seconds"].default  # after the HTTP workers
    pre_stop = container().get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    pre_stop_sleep = float(pre_stop[1]) if pre_stop[:1] == ["sleep"] else 0.0
    assert pod["terminationGracePeriodSeconds"] > pre_stop_sleep + graceful_timeout + executors_stop


def test_the_memory_request_holds_a_warm_replica():
    """request >= master + manager + WEB_CONCURRENCY x (HTTP worker + its answer cache)
    + KSS_EXECUTORS x (executor + its model cache); cpu: a core per executor."""
    env, requests = container_env(), container()["resources"]["requests"]
    workers, executors = required(env, "WEB_CONCURRENCY"), required(env, "KSS_EXECUTORS")
    warm = (
        MASTER_MB
        + MANAGER_MB
        + workers * (HTTP_WORKER_MB + setting(env, "response_cache_bytes") / MIB)
        + executors * (EXECUTOR_MB + setting(env, "model_cache_bytes") / MIB)
    )
    assert mebibytes(requests["memory"]) >= warm
    assert float(requests["cpu"]) >= executors


def test_the_memory_limit_holds_every_executor_at_its_budget():
    """limit >= master + manager + WEB_CONCURRENCY x (HTTP worker + its answer cache)
               + KSS_MAX_EXECUTORS x (executor + KSS_EXECUTOR_RECYCLE_MB + KSS_MEMORY_BUDGET_MB):
    an executor is replaced once it has grown by KSS_EXECUTOR_RECYCLE_MB, and a request may add
    KSS_MEMORY_BUDGET_MB to it (RLIMIT_AS); a container over its limit is OOM-killed whole."""
    env, limits = container_env(), container()["resources"]["limits"]
    workers, most_executors = required(env, "WEB_CONCURRENCY"), required(env, "KSS_MAX_EXECUTORS")
    worst = (
        MASTER_MB
        + MANAGER_MB
        + workers * (HTTP_WORKER_MB + setting(env, "response_cache_bytes") / MIB)
        + most_executors * (EXECUTOR_MB + setting(env, "executor_recycle_mb") + setting(env, "memory_budget_mb"))
    )
    assert mebibytes(limits["memory"]) >= worst
    assert most_executors >= required(env, "KSS_EXECUTORS")


def test_the_autoscaler_scales_the_deployment_on_cpu():
    deployment, hpa = only("Deployment"), only("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": deployment["apiVersion"],
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    [metric] = hpa["spec"]["metrics"]
    assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert "replicas" not in deployment["spec"], "the autoscaler owns the count; a fixed one resets it on apply"


def test_the_disruption_budget_covers_the_pods_and_lets_one_go():
    deployment, pdb = only("Deployment"), only("PodDisruptionBudget")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = pdb["spec"]["selector"]
    assert set(selector) == {"matchLabels"} and selector["matchLabels"].items() <= pod_labels.items()
    assert selector == deployment["spec"]["selector"]
    assert 1 <= pdb["spec"]["minAvailable"] < only("HorizontalPodAutoscaler")["spec"]["minReplicas"]


def test_the_service_selects_the_pods_and_sends_to_the_container_port():
    deployment, service = only("Deployment"), only("Service")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"] and service["spec"]["selector"].items() <= pod_labels.items()
    [port] = service["spec"]["ports"]
    assert container_port(port["targetPort"], "nginx") == container_port("http", "nginx")


def _directives(nginx: str) -> list[str]:
    return [line.strip() for line in nginx.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_the_pods_nginx_front_buffers_caps_and_forwards_to_gunicorn(monkeypatch):
    """The Service reaches gunicorn only through the pod's nginx, which listens on the port the Service
    targets, caps connections per client address, and forwards to gunicorn's port in the pod, whose
    KSS_TRUSTED_PROXIES trusts it: the client is read from X-Forwarded-For."""
    [config_map] = [r for r in RESOURCES if r["kind"] == "ConfigMap" and r["metadata"]["name"].endswith("-nginx")]
    nginx = config_map["data"]["nginx-pod.conf"]
    assert f"listen {container_port('http', 'nginx')};" in _directives(nginx)
    gunicorn_port = gunicorn_settings(monkeypatch, container_env())["bind"].rsplit(":", 1)[1]
    assert f"proxy_pass http://127.0.0.1:{gunicorn_port};" in _directives(nginx)
    assert Settings(trusted_proxies=container_env()["KSS_TRUSTED_PROXIES"]).trusted_proxies == "127.0.0.1"
    assert "proxy_request_buffering off;" not in _directives(nginx)  # on by default: bodies read whole first
    pod = only("Deployment")["spec"]["template"]["spec"]
    [mount] = [m for m in container("nginx")["volumeMounts"] if m["mountPath"] == "/etc/nginx/conf.d"]
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["configMap"] == {
        "name": config_map["metadata"]["name"],
        "items": [{"key": "nginx-pod.conf", "path": "default.conf"}],
    }
    context = container("nginx")["securityContext"]
    assert context["readOnlyRootFilesystem"] is True and context["runAsNonRoot"] is True
    assert any(m["mountPath"] == "/tmp" for m in container("nginx")["volumeMounts"])  # pid and buffered bodies


def test_both_nginx_fronts_share_their_limits():
    """docker-compose's nginx and the pods' differ in where they send requests, not in what they allow."""
    compose, pod = (_directives((DEPLOY / name).read_text()) for name in ("nginx.conf", "nginx-pod.conf"))
    upstream = ("listen ", "resolver ", "set $replicas ", "proxy_pass ")
    assert [d for d in compose if not d.startswith(upstream)] == [d for d in pod if not d.startswith(upstream)]
    assert "limit_conn per_client 32;" in pod and "limit_conn_status 429;" in pod


def test_the_model_repository_is_mounted_where_KSS_MODEL_REPOSITORY_points():
    pod = only("Deployment")["spec"]["template"]["spec"]
    repository = container_env()["KSS_MODEL_REPOSITORY"]
    mounts = [mount for mount in container()["volumeMounts"] if mount["mountPath"] == repository]
    assert len(mounts) == 1, f"no volume mounted at KSS_MODEL_REPOSITORY={repository}"
    [mount] = mounts
    assert mount.get("readOnly") is True
    [volume] = [volume for volume in pod["volumes"] if volume["name"] == mount["name"]]
    [config_map] = [r for r in RESOURCES if r["kind"] == "ConfigMap" and r["metadata"]["name"].endswith("-models")]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert json.loads(config_map["data"]["seed.json"]) == {"layers": SEED_LAYERS}
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+\.json", name) for name in config_map["data"])


def test_the_pod_runs_unprivileged_on_a_read_only_root():
    pod = only("Deployment")["spec"]["template"]["spec"]
    security, spec = pod["securityContext"], container()
    user = re.search(r"^USER (\d+)", (ROOT / "Dockerfile").read_text(), re.M)
    assert user, "the Dockerfile's USER must be numeric for runAsNonRoot"
    assert security["runAsNonRoot"] is True and security["runAsUser"] == int(user.group(1)) != 0
    context = spec["securityContext"]
    assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"] and "add" not in context["capabilities"]
    # tempfile (gunicorn_conf.py's directories, gunicorn's heartbeats) and HOME (Keras) need a writable /tmp.
    tmps = [mount for mount in spec["volumeMounts"] if mount["mountPath"] == "/tmp"]
    assert len(tmps) == 1, "no volume mounted at /tmp, the one writable place"
    [tmp] = tmps
    assert "emptyDir" in next(volume for volume in pod["volumes"] if volume["name"] == tmp["name"])
    assert container_env().get("HOME", "/tmp").startswith("/tmp")


# ------------------------------------------------------------------------------------------- docker compose


def test_compose_config_accepts_the_file_and_runs_the_serve_command():
    service = compose_config()["services"]["keras-shape-service"]
    assert service["command"] == serve_command() == SERVE_COMMAND
    test = service["healthcheck"]["test"]
    assert any(f"127.0.0.1:{service['environment']['PORT']}{path}'" in part for part in test for path in HEALTH_PATHS)
    assert service["environment"]["HOST"] == "0.0.0.0"


def test_compose_scales_behind_one_published_port():
    services = compose_config()["services"]
    replica = services["keras-shape-service"]
    assert "ports" not in replica and "container_name" not in replica, "--scale needs no fixed host port or name"
    [balancer] = [service for name, service in services.items() if name != "keras-shape-service"]
    assert balancer["depends_on"] == {"keras-shape-service": {"condition": "service_healthy"}}
    [published] = balancer["ports"]
    assert published["target"] == published["published"] == int(replica["environment"]["PORT"])
    [config] = [volume.split(":")[0] for volume in balancer["volumes"] if volume.endswith(".conf:ro")]
    nginx = Path(config).read_text()
    assert re.search(r"^\s*listen\s+%d;" % published["target"], nginx, re.M)
    host = re.search(r"^\s*set \$replicas (\S+);", nginx, re.M).group(1)
    assert host == "keras-shape-service" and "proxy_pass http://$replicas:%s;" % replica["environment"]["PORT"] in nginx
    body = re.search(r"^\s*client_max_body_size (\d+)m;", nginx, re.M)
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    assert body and int(body.group(1)) * MIB > defaults["max_file_bytes"] + defaults["max_body_bytes"]


def test_compose_replicas_are_sized_and_stopped_like_the_pods(monkeypatch):
    service = compose_config()["services"]["keras-shape-service"]
    env = service["environment"]
    sizing = {
        "WEB_CONCURRENCY",
        "KSS_EXECUTORS",
        "KSS_MAX_EXECUTORS",
        "KSS_MEMORY_BUDGET_MB",
        "KSS_EXECUTOR_RECYCLE_MB",
        "KSS_MODEL_REPOSITORY",
    }
    assert {name: env.get(name) for name in sizing} == {name: container_env()[name] for name in sizing}
    graceful_timeout = gunicorn_settings(monkeypatch, env)["graceful_timeout"]
    executors_stop = inspect.signature(ExecutorSupervisor.stop).parameters["seconds"].default
    assert seconds(service["stop_grace_period"]) > graceful_timeout + executors_stop
    models = [volume for volume in service["volumes"] if volume.split(":")[1] == env["KSS_MODEL_REPOSITORY"]]
    assert models == [f"{DEPLOY / 'models'}:{env['KSS_MODEL_REPOSITORY']}:ro"]
    assert service["read_only"] is True and any(tmpfs.split(":")[0] == "/tmp" for tmpfs in service["tmpfs"])


def test_compose_replicas_trust_nginx_on_dockers_private_networks():
    """The client behind nginx is read from X-Forwarded-For: nginx's address, on a network Docker allocates
    from its private pools, is among KSS_TRUSTED_PROXIES."""
    import ipaddress

    trusted = compose_config()["services"]["keras-shape-service"]["environment"]["KSS_TRUSTED_PROXIES"]
    networks = [ipaddress.ip_network(entry) for entry in Settings(trusted_proxies=trusted).trusted_proxies.split(",")]
    for docker_pool in ("172.17.0.0/16", "172.30.0.0/16", "192.168.0.0/20"):
        assert any(ipaddress.ip_network(docker_pool).subnet_of(network) for network in networks)  # type: ignore


# ---------------------------------------------------------------------------------------------- commands


def test_makefile_and_dockerfile_use_the_same_command():
    assert serve_command() == SERVE_COMMAND
    cmd = re.search(r"^CMD (.+)$", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    assert ast.literal_eval(cmd) == SERVE_COMMAND


def test_make_test_installs_the_system_packages_first_and_make_serve_does_not():
    def dry_run(target: str) -> str:
        done = subprocess.run(
            ["make", "-n", "-B", target, "VENV=/nonexistent-venv"], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    test = dry_run("test")
    assert "scripts/system-packages.sh" in test
    assert test.index("scripts/system-packages.sh") < test.index("-m pytest")
    assert "scripts/system-packages.sh" not in dry_run("serve")


def test_gunicorn_config_names_the_wsgi_app():
    namespace: dict = {}
    exec((ROOT / "keras_shape_service" / "gunicorn_conf.py").read_text(), namespace)
    assert namespace["wsgi_app"] == "keras_shape_service.wsgi:app"
    assert (
        namespace["worker_class"] == "keras_shape_service.http.worker.Worker" and namespace["bind"] == "127.0.0.1:8000"
    )
    assert callable(namespace["on_starting"]) and callable(namespace["on_exit"])  # they start and stop the executors
