#!/bin/sh
# build.sh - configure and build deputy from a clean tree, warnings fatal.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi >/dev/null 2>&1
[ -f Makefile ] && [ Makefile -nt Makefile.am ] && [ Makefile -nt configure ] ||
    ./configure -q --enable-werror ${CONFIGURE_FLAGS:-}
make -s -j"$(nproc)" >/dev/null
