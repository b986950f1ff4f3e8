#!/bin/sh
# Writes a `docker save` archive of a tiny base image made of this machine's
# static busybox (package busybox-static), named busybox-base:1, for
# `tug image load -i` (or `docker load -i`): the example then builds without
# any registry.
set -eu
out=${1:-busybox-base.tar}
busybox=${BUSYBOX:-/bin/busybox}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$work/image/layer"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$root" -cf "$work/image/layer/layer.tar" .
diff_id=$(sha256sum "$work/image/layer/layer.tar" | cut -d' ' -f1)
printf '{"architecture":"%s","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"make-base.sh: static busybox"}]}' "$arch" "$diff_id" >"$work/config.json"
config_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/image/$config_id.json"
printf '[{"Config":"%s.json","RepoTags":["busybox-base:1"],"Layers":["layer/layer.tar"]}]' "$config_id" >"$work/image/manifest.json"
tar -C "$work/image" -cf "$out" .
echo "wrote $out (busybox-base:1)"
