#!/usr/bin/env bash
# Prepare this machine for tug's Docker tests and benchmark: Docker Engine from
# Debian's docker.io, a static busybox, a running dockerd, and the two local
# test images (no image registry is reachable, so tests never pull).
#
# Idempotent and fast when everything is already there. Exits 0 without doing
# anything when it cannot work here (not Linux, not root): the Docker tests then
# skip with a reason. Exits non-zero only when it should have worked and the
# daemon could not be started or the images could not be built.
set -uo pipefail

# Bump when the recipe of an image changes, so existing machines rebuild it.
readonly IMAGE_RECIPE=2
readonly BUSYBOX_IMAGE=tug-test/busybox:latest
readonly SCRATCH_IMAGE=tug-test/scratch-hello:latest
readonly DOCKERD_LOG=/var/log/tug-dockerd.log

log() { echo "setup-docker: $*"; }
die() { echo "setup-docker: error: $*" >&2; exit 1; }

if [ "$(uname -s)" != "Linux" ]; then
  log "not Linux ($(uname -s)); nothing to do, the Docker tests will skip"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  log "not root (uid $(id -u)); cannot install or start Docker, the Docker tests will skip"
  exit 0
fi

# ---------------------------------------------------------------- packages
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

missing=()
# Any Docker Engine already on the machine (docker.io, docker-ce) will do; never
# install docker.io next to another engine.
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  missing+=(docker.io)
fi
# The test image needs a busybox that runs without a libc, i.e. the static one.
if ! pkg_installed busybox-static; then
  missing+=(busybox-static)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
  apt_install "${missing[@]}" || die "could not install ${missing[*]}"
else
  log "docker and busybox-static already installed"
fi
# The benchmark's peer (Compose v1). Optional: the benchmark skips it when absent.
if ! command -v docker-compose >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && apt_install docker-compose; then
    log "installed docker-compose (benchmark peer)"
  else
    log "warning: could not install docker-compose; the benchmark will run without its peer"
  fi
fi

# ---------------------------------------------------------------- daemon
if docker info >/dev/null 2>&1; then
  log "dockerd already running"
else
  # A pid file left by a daemon that died makes a new dockerd refuse to start.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null; then
    log "removing stale /var/run/docker.pid"
    rm -f /var/run/docker.pid
  fi
  if [ -f /var/run/docker.pid ]; then
    log "a dockerd is running (pid $(cat /var/run/docker.pid)) but not answering yet; waiting for it"
  else
    log "starting dockerd (log: $DOCKERD_LOG)"
    setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
    disown 2>/dev/null || true
  fi
  deadline=$((SECONDS + 60))
  until docker info >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "setup-docker: last lines of $DOCKERD_LOG:" >&2
      tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "dockerd did not answer on its socket within 60 s"
    fi
    sleep 0.5
  done
  log "dockerd is up"
fi

# ---------------------------------------------------------------- images
image_current() {
  [ "$(docker image inspect -f '{{index .Config.Labels "org.tug.test-image-recipe"}}' "$1" 2>/dev/null)" = "$IMAGE_RECIPE" ]
}

workdir=$(mktemp -d /tmp/tug-setup-docker.XXXXXX)
trap 'rm -rf "$workdir"' EXIT

build_busybox_image() {
  local root="$workdir/rootfs" applet
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,home,proc,sys,dev}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 0700 "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  # Every applet this busybox has (sh, sleep, echo, wget, httpd, nc, nslookup, ...),
  # all in /bin; /usr/bin/env as well for "#!/usr/bin/env sh" scripts.
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  ln -sf /bin/busybox "$root/usr/bin/env"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
nogroup:x:65534:
EOF
  tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$workdir/rootfs.tar" . || return 1
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["sh"]' \
    --change "LABEL org.tug.test-image-recipe=$IMAGE_RECIPE" \
    --message 'tug test image: static busybox with its applets' \
    "$workdir/rootfs.tar" "$BUSYBOX_IMAGE" >/dev/null
}

build_scratch_image() {
  local ctx="$workdir/scratch"
  mkdir -p "$ctx"
  cp /bin/busybox "$ctx/busybox"
  cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL org.tug.test-image-recipe=$IMAGE_RECIPE
CMD ["/bin/busybox", "echo", "hello from scratch"]
EOF
  # The classic builder is part of every engine; BuildKit would need buildx.
  # Its deprecation notice is noise here: show the builder's output only on failure.
  if ! DOCKER_BUILDKIT=0 docker build -q -t "$SCRATCH_IMAGE" "$ctx" >"$workdir/build.log" 2>&1; then
    cat "$workdir/build.log" >&2
    return 1
  fi
}

for spec in "$BUSYBOX_IMAGE:build_busybox_image" "$SCRATCH_IMAGE:build_scratch_image"; do
  image=${spec%:*}
  builder=${spec##*:}
  if image_current "$image"; then
    log "image $image present"
  else
    old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
    log "building image $image"
    "$builder" || die "could not build $image"
    # The image of an older recipe, if now untagged, is dropped unless a container uses it.
    if [ -n "$old_id" ] && [ "$(docker image inspect -f '{{len .RepoTags}}' "$old_id" 2>/dev/null)" = 0 ]; then
      docker image rm "$old_id" >/dev/null 2>&1 || true
    fi
  fi
done

log "ready: $(docker version -f 'Docker Engine {{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null)"
