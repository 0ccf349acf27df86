#!/bin/sh
# Test agent: runs until the file $1 exists (bounded: gives up after ~60 s), then exits 0.
i=0
while [ ! -e "$1" ] && [ "$i" -lt 1200 ]; do
  sleep 0.05
  i=$((i + 1))
done
echo "released"
