#!/bin/sh
# AccessMatch container entrypoint.
#
#   (no arguments) | serve [uvicorn options]   migrate the database, then serve on 0.0.0.0
#   migrate | seed-demo | create-key | openapi  run that accessmatch command
#   anything else                               run it as a program (e.g. sh)
#
# Set ACCESSMATCH_MIGRATE_ON_START=false when several replicas share one PostgreSQL
# database and migrations run as a separate release step (`docker run IMAGE migrate`).
set -eu

command="${1:-serve}"
if [ "$#" -gt 0 ]; then
    shift
fi

case "$command" in
    serve)
        if [ "${ACCESSMATCH_MIGRATE_ON_START:-true}" = "true" ]; then
            accessmatch migrate
        fi
        exec accessmatch serve --host "${ACCESSMATCH_HOST:-0.0.0.0}" "$@"
        ;;
    migrate | seed-demo | create-key | openapi)
        exec accessmatch "$command" "$@"
        ;;
    *)
        exec "$command" "$@"
        ;;
esac
