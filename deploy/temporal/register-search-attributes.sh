#!/bin/sh
# One-shot (docker-compose service `temporal-setup`, image temporalio/admin-tools; also fine by hand against any
# Temporal with the `temporal` CLI on PATH): waits until the frontend serves, creates the namespace if it is
# missing, then registers the tracker's custom search attributes (workflows/contract.ts `searchAttributes`).
# Idempotent: an attribute that exists with the right type is left alone; one that exists with another type
# stops the script with exit 1 (the tracker's upserts would fail on it), so it never half-succeeds silently.
#
#   TEMPORAL_ADDRESS (default temporal:7233), TEMPORAL_NAMESPACE (default default),
#   TEMPORAL_NAMESPACE_RETENTION (default 720h: closed trackers stay queryable for 30 days),
#   SETUP_WAIT_SECONDS (default 180).
set -eu

: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${TEMPORAL_NAMESPACE_RETENTION:=720h}"
: "${SETUP_WAIT_SECONDS:=180}"
# The `temporal` CLI reads TEMPORAL_ADDRESS itself; --address below only makes each call self-explanatory.
ns=$TEMPORAL_NAMESPACE
addr=$TEMPORAL_ADDRESS

# name:type pairs; test/deploy checks this list against workflows/contract.ts.
SEARCH_ATTRIBUTES="AirOpsBatchId:Keyword AirOpsStatus:Keyword AirOpsPhase:Keyword AirOpsTotalUrls:Int AirOpsStalled:Bool"

retry() {
  what=$1
  shift
  started=$(date +%s)
  until "$@" >/dev/null 2>&1; do
    if [ $(($(date +%s) - started)) -ge "$SETUP_WAIT_SECONDS" ]; then
      echo "temporal-setup: gave up waiting for $what after ${SETUP_WAIT_SECONDS} s" >&2
      "$@" >&2 || true
      exit 1
    fi
    sleep 2
  done
}

echo "temporal-setup: waiting for Temporal at $addr"
retry "the Temporal frontend at $addr" temporal operator cluster health --address "$addr"

if temporal operator namespace describe --address "$addr" --namespace "$ns" >/dev/null 2>&1; then
  echo "temporal-setup: namespace $ns exists"
else
  temporal operator namespace create --address "$addr" --namespace "$ns" --retention "$TEMPORAL_NAMESPACE_RETENTION" \
    --description "Olostep AirOps batch trackers"
  echo "temporal-setup: namespace $ns created (retention $TEMPORAL_NAMESPACE_RETENTION)"
fi
# A new namespace takes a few seconds to reach the frontend's namespace cache.
retry "namespace $ns to become usable" temporal operator search-attribute list --address "$addr" --namespace "$ns"

indexed_type() {
  case $1 in
    Keyword) echo INDEXED_VALUE_TYPE_KEYWORD ;;
    Int) echo INDEXED_VALUE_TYPE_INT ;;
    Bool) echo INDEXED_VALUE_TYPE_BOOL ;;
    *)
      echo "temporal-setup: unknown search attribute type $1" >&2
      exit 1
      ;;
  esac
}

existing=$(temporal operator search-attribute list --address "$addr" --namespace "$ns" --output json)
for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%:*}
  type=${pair#*:}
  want=$(indexed_type "$type")
  line=$(printf '%s\n' "$existing" | grep "\"$name\":" || true)
  if [ -z "$line" ]; then
    temporal operator search-attribute create --address "$addr" --namespace "$ns" --name "$name" --type "$type"
    echo "temporal-setup: registered $name ($type)"
  elif printf '%s\n' "$line" | grep -q "\"$want\""; then
    echo "temporal-setup: $name ($type) already registered"
  else
    echo "temporal-setup: $name is registered with another type ($line); the tracker needs $type" >&2
    exit 1
  fi
done

# Read back: every attribute must now be there with its type (a slow cache would show here, not in a tracker).
retry "the search attributes to be listed" sh -c '
  out=$(temporal operator search-attribute list --address "$1" --namespace "$2" --output json) || exit 1
  shift 2
  for pair in "$@"; do printf "%s\n" "$out" | grep -q "\"${pair%%:*}\":" || exit 1; done
' sh "$addr" "$ns" $SEARCH_ATTRIBUTES
echo "temporal-setup: done: namespace $ns with $SEARCH_ATTRIBUTES"
