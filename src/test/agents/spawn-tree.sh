#!/bin/sh
# Test agent: starts a grandchild that outlives it unless its process group is killed, records
# the grandchild's pid in $1, then sleeps.
sleep 300 &
echo $! > "$1"
sleep 300
