#!/bin/sh
# conservation-deputyd - the conservation run through deputyd (LMTP)
CONSERVATION_PATH=deputyd; export CONSERVATION_PATH
exec sh "$(dirname "$0")/conservation.sh"
