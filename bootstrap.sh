#!/bin/sh
# Set up a fresh checkout: install missing Debian build dependencies,
# generate the build system and configure it. Extra arguments go to
# ./configure (e.g. --with-cuda, --enable-sanitizers).
set -e
cd "$(dirname "$0")"

PKGS="build-essential autoconf automake libtool pkg-config libiniparser-dev libsqlite3-dev libopenblas-dev sqlite3 gnuplot-nox zlib1g-dev dataset-fashion-mnist"
missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "bootstrap: installing:$missing"
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

autoreconf -fi
./configure "$@"
