"""The base images the project's Dockerfiles name: pulled where a registry answers, else stand-ins built here.

Stand-ins are built offline from Debian packages (debootstrap, then the recipes in standins/) and
labelled with their recipe's hash: a later run reuses them while the recipe is unchanged and rebuilds
them when it changes. An image of the same name without that label is a real one and is used as is.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docker_stack.engine import docker

ROOT = Path(__file__).resolve().parent.parent
STANDINS = Path(__file__).resolve().parent / "standins"
RECIPE_LABEL = "dev.astro-dbt-cloud.standin-recipe"
DEBIAN_BASE = "astro-dbt-cloud-standin/debian:bookworm-minbase"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP = ("debootstrap", "--variant=minbase", "bookworm")
LOCAL_CA_DIR = Path("/usr/local/share/ca-certificates")


@dataclass(frozen=True)
class BaseImage:
    name: str        # as the Dockerfile's FROM names it
    recipe: str      # folder under standins/
    extra_files: tuple[tuple[Path, str], ...] = ()  # (project file, name in the build context)


def _pytest_pin() -> str:
    """The pytest the tests pin (tests/requirements.txt), for the runtime stand-in."""
    lines = (ROOT / "tests" / "requirements.txt").read_text().splitlines()
    return next(line for line in lines if line.startswith("pytest=="))


PYTHON = BaseImage("python:3.11-slim", "python-3.11-slim")
RUNTIME = BaseImage("astrocrpublic.azurecr.io/runtime:3.3-2", "astro-runtime-3.3-2",
                    ((ROOT / "local_runner" / "astro-runtime-3.3-2.txt", "runtime.txt"),))
POSTGRES = BaseImage("postgres:12.6", "postgres-12.6")
REDIS = BaseImage("redis:7.0", "redis-7.0")  # the Celery broker of the distributed stack
# Build order: the runtime stand-in starts FROM python:3.11-slim.
BASE_IMAGES = (PYTHON, RUNTIME, POSTGRES, REDIS)
# SQLAlchemy 2.1 reads postgresql:// as psycopg 3. celery below 5.7: the Celery provider of the runtime
# (3.21.0) imports celery.backends.database.retry, which celery 5.7.0 removed (the worker fails to start).
RUNTIME_EXTRAS = ("psycopg[binary]==3.3.9", "asyncpg==0.31.0", "celery==5.6.3")


def _labels(image: str) -> dict[str, str] | None:
    done = docker("image", "inspect", "--format", "{{json .Config.Labels}}", image, check=False)
    if done.returncode != 0:
        return None

    return json.loads(done.stdout) or {}


def _context(image: BaseImage, into: Path) -> None:
    shutil.copytree(STANDINS / image.recipe, into, dirs_exist_ok=True)
    for source, name in image.extra_files:
        shutil.copy(source, into / name)
    if image is RUNTIME:
        (into / "extras.txt").write_text("\n".join((*RUNTIME_EXTRAS, _pytest_pin())) + "\n")
    (into / "local-ca").mkdir(exist_ok=True)
    if image is PYTHON and LOCAL_CA_DIR.is_dir():
        for cert in sorted(LOCAL_CA_DIR.glob("*.crt")):
            shutil.copy(cert, into / "local-ca" / cert.name)


def _hash_tree(folder: Path, parent_hash: str) -> str:
    digest = hashlib.sha256(parent_hash.encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _debian_base() -> str:
    recipe = hashlib.sha256(" ".join((*DEBOOTSTRAP, DEBIAN_MIRROR)).encode()).hexdigest()[:16]
    if (_labels(DEBIAN_BASE) or {}).get(RECIPE_LABEL) == recipe:
        return recipe
    with tempfile.TemporaryDirectory(prefix="debootstrap-") as rootfs:
        done = subprocess.run([*DEBOOTSTRAP, rootfs, DEBIAN_MIRROR], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"debootstrap failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(["docker", "import", "--change", f"LABEL {RECIPE_LABEL}={recipe}", "-", DEBIAN_BASE],
                                  stdin=tar.stdout, capture_output=True, text=True)
        tar.wait()
        if imported.returncode != 0:
            raise RuntimeError(f"docker import of the Debian root filesystem failed: {imported.stderr[-2000:]}")
    return recipe


def _build_standin(image: BaseImage, parent_hash: str) -> tuple[str, str]:
    """Reuse or build the stand-in; returns (recipe hash, what was done)."""
    with tempfile.TemporaryDirectory(prefix=f"standin-{image.recipe}-") as context:
        _context(image, Path(context))
        recipe = _hash_tree(Path(context), parent_hash)
        if (_labels(image.name) or {}).get(RECIPE_LABEL) == recipe:
            return recipe, "stand-in, cached"
        docker("build", "--label", f"{RECIPE_LABEL}={recipe}", "-t", image.name, context, timeout=1800)
    return recipe, "stand-in, built offline from Debian packages"


def ensure_base_images() -> dict[str, str]:
    """Each base image's name -> where it came from (registry, local, or a stand-in)."""
    used: dict[str, str] = {}
    parents: dict[str, str] = {}
    for image in BASE_IMAGES:
        labels = _labels(image.name)
        if labels is not None and RECIPE_LABEL not in labels:
            used[image.name] = "real image, already local"
            continue
        if docker("pull", "-q", image.name, check=False, timeout=1800).returncode == 0:
            used[image.name] = "pulled from its registry"
            continue
        if "debian" not in parents:
            parents["debian"] = _debian_base()
        parent_hash = parents[PYTHON.name] if image is RUNTIME and PYTHON.name in parents else parents["debian"]
        parents[image.name], used[image.name] = _build_standin(image, parent_hash)
    return used
