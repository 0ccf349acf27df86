#!/bin/sh
# Test agent: prints $1, then exits with $2.
echo "$1"
exit "$2"
