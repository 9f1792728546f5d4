#!/usr/bin/env bash
# Builds the Sluice image from the Dockerfile without a Docker engine or a registry, then starts
# it: 'sluice demo --check' as uid 65532, and 'ip' and 'nft' present.
#
#   deploy/build-image.sh [TAG]          (as root; TAG defaults to localhost/sluice:dev)
#
# The base images are made here from Debian's own packages: 'debootstrap --variant=minbase
# bookworm' with openjdk-17-jre-headless for the runtime stage, and the same plus the JDK and
# curl (for the Maven wrapper) for the build stage. Both are cached, as a tarball under
# SLUICE_IMAGE_CACHE (default ~/.cache/sluice/image-base) and as images in buildah's storage, so
# only the first run pays for debootstrap; the Dockerfile's own layers are cached by buildah too.
# Needs root (debootstrap, buildah) and network access to deb.debian.org and Maven Central. The
# host's own CA certificates (/usr/local/share/ca-certificates, where a TLS-inspecting proxy's
# CA lives) are trusted in the build stage's base only, so Maven can reach Central through it;
# the runtime image gets none of them.
set -euo pipefail
cd "$(dirname "$0")/.."

tag=${1:-localhost/sluice:dev}
cache=${SLUICE_IMAGE_CACHE:-$HOME/.cache/sluice/image-base}
mirror=${SLUICE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The package list names the cached base: another list makes another base.
runtime_packages=openjdk-17-jre-headless,ca-certificates,passwd
runtime_base=localhost/sluice-base-jre:bookworm
key=$(printf '%s' "bookworm $runtime_packages" | sha256sum | cut -c1-12)
tarball=$cache/bookworm-minbase-$key.tar
local_cas=/usr/local/share/ca-certificates
build_base=localhost/sluice-base-jdk:bookworm-$key-$( (cat "$local_cas"/*.crt 2>/dev/null || true) | sha256sum | cut -c1-12)

say() { echo "build-image: $*"; }
die() { echo "build-image: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (expected: debootstrap and buildah as uid 0)"
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
  say "installing buildah and debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap >/dev/null
fi
export BUILDAH_ISOLATION=chroot
image_exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }

if [ ! -f "$tarball" ]; then
  say "debootstrap bookworm minbase with $runtime_packages (once; cached in $tarball)"
  mkdir -p "$cache"
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase --include="$runtime_packages" bookworm "$root" "$mirror" >/dev/null
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -cf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
  rm -rf "$root"
  trap - EXIT
  buildah rmi "$runtime_base" >/dev/null 2>&1 || true
fi

if ! image_exists "$runtime_base"; then
  say "importing $tarball as $runtime_base"
  ctr=$(buildah from scratch)
  buildah add "$ctr" "$tarball" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 "$ctr"
  buildah commit --rm "$ctr" "$runtime_base" >/dev/null
fi

if ! image_exists "$build_base"; then
  say "deriving $build_base (JDK and curl for the Maven wrapper)"
  ctr=$(buildah from "$runtime_base")
  if compgen -G "$local_cas/*.crt" >/dev/null; then
    buildah copy "$ctr" "$local_cas" /usr/local/share/ca-certificates >/dev/null
  fi
  buildah run "$ctr" -- sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless curl >/dev/null \
    && update-ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*'
  buildah commit --rm "$ctr" "$build_base" >/dev/null
fi

say "buildah bud $tag"
started=$(date +%s)
buildah bud --isolation chroot --layers --pull=never \
  --build-arg BUILD_IMAGE="$build_base" --build-arg RUNTIME_IMAGE="$runtime_base" \
  -t "$tag" . >/dev/null
say "built $tag in $(( $(date +%s) - started )) s"

say "smoke test as uid 65532: sluice demo --check, ip, nft"
ctr=$(buildah from "$tag")
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
in_image() { buildah run --isolation chroot --user 65532:65532 "$ctr" -- "$@"; }
in_image /opt/sluice/bin/sluice demo --check
in_image sh -c 'command -v ip && command -v nft && ip -V && nft --version' \
  || die "$tag lacks ip or nft (expected: iproute2 and nftables in the runtime stage)"
say "ok: $tag, $(buildah images --format '{{.Size}}' "$tag" | head -1)"
