#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the test suites and prints the URL to use as
# ONSITE_TEST_DATABASE_URL. Installs Debian's postgresql package when no server is
# installed. The cluster lives in a temporary directory, listens on 127.0.0.1 only, on a
# free port, and trusts local connections; `.ci/postgres.sh stop DIR` ends it.
#
#   url=$(.ci/postgres.sh start /tmp/onsite-ci-pg)
#   ...
#   .ci/postgres.sh stop /tmp/onsite-ci-pg
set -euo pipefail

command=${1:?usage: postgres.sh start|stop DIR}
dir=${2:?usage: postgres.sh start|stop DIR}

bin_dir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Runs a command as the owner of the cluster: `postgres` when we are root (the server
# refuses to run as root), ourselves otherwise.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    else
        "$@"
    fi
}

case "$command" in
start)
    if [ -z "$(bin_dir)" ]; then
        echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql >&2
    fi
    bin=$(bin_dir)
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    # fsync off: a test cluster thrown away after the run does not need durability.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
        start >&2 || {
        cat "$dir/server.log" >&2
        exit 1
    }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
stop)
    bin=$(bin_dir)
    [ -n "$bin" ] && [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    ;;
*)
    echo "usage: postgres.sh start|stop DIR" >&2
    exit 2
    ;;
esac
