#!/usr/bin/env bash
# Set up podman on this machine kind (no Docker engine, no image registry) so that the
# Dockerfile and docker-compose.yml build and run unchanged: run as root; idempotent, every
# step is skipped when its result is already there. Used by .ci/containers.
#
#   1. apt-get installs podman runc iptables debootstrap when missing;
#   2. /etc/containers/containers.conf, edited in place (other settings kept): runc (crun
#      refuses this VM's mixed cgroups) and default ulimits pinned to the highest limits a
#      container can be given (root cannot raise them);
#   3. localhost/bookworm-base: debootstrap minbase from the mirror apt already uses; the
#      root file system is kept as a tarball in KB_CONTAINER_CACHE (/var/tmp/kb-containers)
#      so a later run on the same machine imports it in seconds;
#   4. stand-ins tagged with the official names (deploy/standins/): python:3.11-slim-bookworm,
#      postgres:15-bookworm, redis:7-bookworm, nginx:stable-bookworm; rebuilt only when
#      their files change;
#   5. podman-compose >= 1.6 from PyPI in a venv of its own (PODMAN_COMPOSE_VENV,
#      /opt/kb-podman-compose); Debian's 1.0.3 is too old.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${KB_CONTAINER_CACHE:-/var/tmp/kb-containers}"
COMPOSE_VENV="${PODMAN_COMPOSE_VENV:-/opt/kb-podman-compose}"
SOURCES=/etc/apt/sources.list.d/debian.sources

if [ "$(id -u)" != 0 ]; then
  echo "podman_setup.sh: run as root (it installs packages and writes /etc/containers)." >&2
  exit 2
fi

started=$SECONDS
step_started=$SECONDS
step() { step_started=$SECONDS; printf '\n--- %s\n' "$*"; }
took() { printf '    %s (%d s)\n' "$*" $((SECONDS - step_started)); }

step "packages"
missing=()
for tool in podman:podman runc:runc iptables:iptables debootstrap:debootstrap; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${tool%%:*}" ] || missing+=("${tool#*:}")
done
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  took "installed ${missing[*]}"
else
  took "podman, runc, iptables and debootstrap already installed"
fi

image_exists() { podman image exists "$1"; }

step "base image localhost/bookworm-base"
if image_exists localhost/bookworm-base; then
  took "already present"
else
  mkdir -p "$CACHE"
  tarball="$CACHE/bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    mirror="$(awk '/^URIs:/ { print $2; exit }' "$SOURCES" 2>/dev/null || true)"
    mirror="${mirror:-http://deb.debian.org/debian}"
    rootfs="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
    trap 'rm -rf "$rootfs"' EXIT
    echo "    debootstrap --variant=minbase bookworm from $mirror (the slow part)"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -n 30 "$CACHE/debootstrap.log" >&2; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$rootfs"
    trap - EXIT
    took "debootstrap, cached as $tarball"
  else
    echo "    root file system from the cache: $tarball"
  fi
  podman import --change 'CMD ["/bin/bash"]' "$tarball" localhost/bookworm-base >/dev/null
  took "imported"
fi

step "containers.conf"
# The highest limits a container may be given, tried for real (podman itself may hold lower
# hard limits than this shell shows); then set in place in containers.conf, key by key, so
# whatever else the file says stays as it is.
fits() { podman run --rm --network=none --runtime runc --ulimit "nofile=$1:$1" \
  --ulimit "nproc=$2:$2" localhost/bookworm-base true >/dev/null 2>&1; }
nofile="$(ulimit -Hn)"
nproc="$(ulimit -Hu)"
[ "$nofile" = unlimited ] && nofile=1048576
[ "$nproc" = unlimited ] && nproc=1048576
while ! fits "$nofile" "$nproc"; do
  if ((nproc > 4096)); then
    nproc=$((nproc > 32768 ? 32768 : nproc / 2))
  elif ((nofile > 1024)); then
    nofile=$((nofile / 2))
  else
    echo "podman_setup.sh: podman cannot start a container with runc at all:" >&2
    podman run --rm --network=none --runtime runc localhost/bookworm-base true >&2 || true
    exit 1
  fi
done
python3 - /etc/containers/containers.conf \
  containers default_ulimits "[\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]" \
  engine runtime '"runc"' <<'PY'
import re
import sys
from pathlib import Path

path = Path(sys.argv[1])
settings = list(zip(*[iter(sys.argv[2:])] * 3))
lines = path.read_text().splitlines() if path.exists() else []
changed = False
for table, key, value in settings:
    wanted = f"{key} = {value}"
    header = next((i for i, line in enumerate(lines) if line.strip() == f"[{table}]"), None)
    if header is None:
        lines += ["", f"[{table}]", wanted]
        changed = True
        continue
    end = next(
        (i for i in range(header + 1, len(lines)) if lines[i].lstrip().startswith("[")),
        len(lines),
    )
    found = next(
        (i for i in range(header + 1, end) if re.match(rf"\s*{key}\s*=", lines[i])), None
    )
    if found is None:
        lines.insert(header + 1, wanted)
        changed = True
    elif lines[found].strip() != wanted:
        lines[found] = wanted
        changed = True
if changed:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines).lstrip("\n") + "\n")
print("    /etc/containers/containers.conf:", "updated" if changed else "already set")
PY
took "runc, ulimits nofile=$nofile nproc=$nproc"

# Build deploy/standins/NAME as TAG, unless TAG carries the hash of exactly these files.
standin() {
  local name="$1" tag="$2" context hash
  step "stand-in $tag"
  context="$(mktemp -d)"
  cp -a "deploy/standins/$name/." "$context/"
  cp "$SOURCES" "$context/debian.sources"
  mkdir -p "$context/ca"
  cp /usr/local/share/ca-certificates/*.crt "$context/ca/" 2>/dev/null || true
  hash="$(cd "$context" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
  if image_exists "$tag" \
    && [ "$(podman image inspect --format '{{index .Labels "kb.standin"}}' "$tag")" = "$hash" ]; then
    took "already built from these files ($hash)"
  else
    podman build --quiet --format docker --pull=never --label "kb.standin=$hash" \
      -t "$tag" "$context" >/dev/null
    took "built ($hash)"
  fi
  rm -rf "$context"
}
standin python docker.io/library/python:3.11-slim-bookworm
standin postgres docker.io/library/postgres:15-bookworm
standin redis docker.io/library/redis:7-bookworm
standin nginx docker.io/library/nginx:stable-bookworm

step "podman-compose"
compose_ok() {
  "$COMPOSE_VENV/bin/python" - <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
major, minor = (int(part) for part in version("podman-compose").split(".")[:2])
sys.exit(0 if (major, minor) >= (1, 6) else 1)
PY
}
if compose_ok; then
  took "already in $COMPOSE_VENV"
else
  python3 -m venv "$COMPOSE_VENV"
  "$COMPOSE_VENV/bin/pip" install --quiet --disable-pip-version-check "podman-compose>=1.6"
  took "installed into $COMPOSE_VENV"
fi
echo "    $("$COMPOSE_VENV/bin/podman-compose" --version 2>/dev/null | tr '\n' ' ')"

printf '\npodman_setup.sh: done in %d s\n' $((SECONDS - started))
