#!/usr/bin/env bash
# Regenerates Wolverine's handler and endpoint code (src/*/Internal/Generated). Services load it in
# TypeLoadMode.Static, so run this after adding or changing a handler or endpoint, and commit the result.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build SyncEngine.sln -v q -nologo >/dev/null
for service in Services.Auth Services.Workspace Services.Sync; do
  rm -rf "src/$service/Internal/Generated"
  # codegen only builds the host; it never connects, but the data source wants a well-formed connection string.
  (cd "src/$service" && ConnectionStrings__syncengine="Host=127.0.0.1;Username=codegen;Database=codegen" \
    dotnet run --no-build -- codegen write >/dev/null)
done
dotnet build SyncEngine.sln -v q -nologo >/dev/null
echo "generated code is up to date"
