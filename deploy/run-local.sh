#!/usr/bin/env bash
# The production topology on this machine, for a person to try: every service `dotnet publish`ed (Release) and started
# as its own process with the environment deploy/compose/compose.yaml gives it (no AppHost, no dashboard, no dev
# server), three Sync replicas behind the gateway, against a throwaway PostgreSQL cluster on 127.0.0.1 made with the
# system's binaries (apt-get install postgresql) and provisioned with service-roles.sql. Prints the gateway's URL and
# the operator's credentials; Ctrl+C stops everything and removes the cluster.
#
#   deploy/run-local.sh                                             # queues in PostgreSQL
#   deploy/run-local.sh --transport rabbitmq --broker amqp://user:password@127.0.0.1:5672   # a broker of yours
#   deploy/run-local.sh --published /tmp/syncengine-topology        # where the published programs go (and are reused)
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run --project tests/SyncEngine.Topology -- "$@"
