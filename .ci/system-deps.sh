#!/usr/bin/env bash
# Kernel trees and Debian tools that tests read. Each is fetched once into ~/.cache/kvmfp and
# reused; tests that need one skip with a message when it is absent, CI makes sure it is present.
set -euo pipefail
cache="${KVMFP_CACHE:-$HOME/.cache/kvmfp}"
mkdir -p "$cache"

# linux-source-6.1: only arch/arm64 and Documentation/arm64 are unpacked (sysreg-check, drift).
fetch_linux_source() {
  local pkg=$1 dir="$cache/$1"
  [ -f "$dir/.done" ] && return 0
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && apt-get download "$pkg" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get download "$pkg" >/dev/null; })
  local deb tarball
  deb=$(ls "$dir"/*.deb | head -1)
  (cd "$dir" && dpkg-deb -x "$deb" x)
  tarball=$(ls "$dir"/x/usr/src/linux-source-*.tar.* | head -1)
  tar -xf "$tarball" -C "$dir" --wildcards '*/arch/arm64/*' '*/Documentation/arm64/*' 2>/dev/null || true
  rm -rf "$dir/x" "$deb"
  local top
  top=$(ls -d "$dir"/linux-source-* | head -1)
  ln -sfn "$top" "$dir/tree"
  touch "$dir/.done"
}
fetch_linux_source linux-source-6.1
echo "kernel trees in $cache"

# QEMU and aarch64 binutils for packages/machine/qemu (the trap differential test skips without them).
qemu_pkgs="qemu-system-arm binutils-aarch64-linux-gnu"
if ! dpkg -s $qemu_pkgs >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends $qemu_pkgs >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends $qemu_pkgs >/dev/null; } ||
    echo "qemu: install failed; the QEMU differential test will skip"
fi
echo "qemu: $(qemu-system-aarch64 --version 2>/dev/null | head -1 || echo absent)"

# Chromium for the reader's browser tests (playwright-core drives Debian's /usr/bin/chromium).
dpkg -s chromium >/dev/null 2>&1 || apt-get install -y --no-install-recommends chromium || (apt-get update && apt-get install -y --no-install-recommends chromium)

# Pinned Debian kernel sources for the drift and patch-impact expectations (tools/src/drift/expected
# names the version each table was made from). A tree whose .version is not the pin is fetched
# again (this also pins linux-source-6.1, which fetch_linux_source above takes unpinned). Besides
# arch/arm64 and Documentation/arm64 it unpacks the generic directories some manifest entries
# live in (include/linux, kernel, virt/kvm). Both packages are in bookworm-security.
fetch_linux_source_pinned() {
  local pkg=$1 version=$2 dir="$cache/$1" tmp="$cache/.$1.new"
  [ -f "$dir/.done" ] && [ "$(cat "$dir/.version" 2>/dev/null)" = "$version" ] && return 0
  rm -rf "$tmp" && mkdir -p "$tmp"
  if ! (cd "$tmp" && { apt-get download "$pkg=$version" >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get download "$pkg=$version" >/dev/null 2>&1; }; }); then
    echo "$pkg=$version: not downloadable; the drift tests that read it will skip"
    rm -rf "$tmp"
    return 0
  fi
  local deb tarball
  deb=$(ls "$tmp"/*.deb | head -1)
  (cd "$tmp" && dpkg-deb -x "$deb" x)
  tarball=$(ls "$tmp"/x/usr/src/linux-source-*.tar.* | head -1)
  tar -xf "$tarball" -C "$tmp" --wildcards '*/arch/arm64/*' '*/Documentation/arm64/*' \
    "$pkg/include/linux/*" "$pkg/kernel/*" "$pkg/virt/kvm/*" 2>/dev/null || true
  cp "$tmp"/x/usr/share/doc/"$pkg"/changelog.Debian.gz "$tmp/" 2>/dev/null || true
  rm -rf "$tmp/x" "$deb"
  echo "$version" >"$tmp/.version"
  touch "$tmp/.done"
  # Swapped in whole, so a test reading the old tree never sees half of the new one.
  rm -rf "$dir" && mv "$tmp" "$dir" && ln -sfn "$dir/$pkg" "$dir/tree"
}
fetch_linux_source_pinned linux-source-6.1 6.1.192-2
fetch_linux_source_pinned linux-source-6.12 6.12.117-1~deb12u1
echo "pinned kernel trees: $(cat "$cache"/linux-source-6.1/.version "$cache"/linux-source-6.12/.version 2>/dev/null | tr '\n' ' ')"
