#!/bin/sh
# corpus-1 - the whole corpus, shard 1 of 2 (the full tier runs both side by side)
CORPUS_SHARD=1/2 DEPUTY_FULL=1; export CORPUS_SHARD DEPUTY_FULL
exec sh "$(dirname "$0")/corpus.sh"
