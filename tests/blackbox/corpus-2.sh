#!/bin/sh
# corpus-2 - the whole corpus, shard 2 of 2 (the full tier runs both side by side)
CORPUS_SHARD=2/2 DEPUTY_FULL=1; export CORPUS_SHARD DEPUTY_FULL
exec sh "$(dirname "$0")/corpus.sh"
