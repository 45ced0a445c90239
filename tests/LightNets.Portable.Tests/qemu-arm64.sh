#!/usr/bin/env bash
# Publishes tests/LightNets.Portable.Tests for linux-arm64 (self-contained) and runs it under user-mode QEMU; the
# arguments go to the xunit v3 runner (e.g. -class LightNets.Tests.Runtime.Cpu.GemmKernelTests). .ci/run calls it;
# README, "Tests on ARM64", says how to run it by hand. Exits with the test run's exit code (non-zero on a failure).
#
# Needs qemu-aarch64-static and the arm64 C runtime under /usr/aarch64-linux-gnu:
#   apt-get install -y qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross
# and Debian's arm64 libssl, which this script fetches itself (into $ARM64_WORK; default a folder under $TMPDIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${ARM64_WORK:-${TMPDIR:-/tmp}/lightnets-arm64}
sysroot=/usr/aarch64-linux-gnu
mkdir -p "$work"

command -v qemu-aarch64-static >/dev/null || { echo "qemu-aarch64-static not found: apt-get install qemu-user-static" >&2; exit 2; }
[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] && [ -e "$sysroot/lib/libstdc++.so.6" ] ||
    { echo "no arm64 C runtime in $sysroot: apt-get install libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross" >&2; exit 2; }

# xunit v3 names each test by a SHA-1 hash, and .NET on Linux takes SHA-1 from OpenSSL: without an arm64 libssl the
# runner aborts ("No usable version of libssl was found"). `apt-get download libssl3:arm64` finds nothing unless
# dpkg has arm64 as a foreign architecture, which would change the machine; instead apt reads arm64 package lists
# into a private folder (its own lists, cache and an empty dpkg status) and downloads the package from there.
# Debian 12 calls it libssl3, Debian 13 libssl3t64.
ssl=$work/libssl
if ! ls "$ssl"/usr/lib/aarch64-linux-gnu/libssl.so.3 >/dev/null 2>&1; then
    apt=$work/apt
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$ssl"
    : >"$apt/status"
    opts=(-q -o APT::Architecture=arm64 -o APT::Architectures=arm64 -o Dir::State::Lists="$apt/lists"
        -o Dir::Cache="$apt/cache" -o Dir::State::Status="$apt/status" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
    apt-get "${opts[@]}" update >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; exit 2; }
    (cd "$work" && { apt-get "${opts[@]}" download libssl3t64 || apt-get "${opts[@]}" download libssl3; } >>"$work/apt.log" 2>&1) ||
        { cat "$work/apt.log" >&2; exit 2; }
    dpkg-deb -x "$(ls "$work"/libssl3*_arm64.deb | head -n 1)" "$ssl"
fi

out=$here/bin/publish-linux-arm64
dotnet publish "$here" -c Release -r linux-arm64 --self-contained -o "$out" -v quiet -nologo

# DOTNET_EnableWriteXorExecute=0: with W^X the JIT writes code through a second, writable mapping of the same memory,
# and QEMU does not see those writes as changes to code it has already translated. It then runs stale code: seen here
# as random DataMisalignedException, "Illegal instruction" and aborts in a multi-threaded run, and gone with W^X off.
export DOTNET_EnableWriteXorExecute=0
# Smaller sizes for the zoo, and no full-size models (tests/LightNets.Tests/Emulation.cs).
export LIGHTNETS_TESTS_EMULATED=1
export LD_LIBRARY_PATH=$ssl/usr/lib/aarch64-linux-gnu
exec qemu-aarch64-static -L "$sysroot" "$out/LightNets.Portable.Tests" -noColor "$@"
