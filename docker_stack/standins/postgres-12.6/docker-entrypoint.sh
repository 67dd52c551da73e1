#!/bin/sh
# First start: a UTF8 cluster (SQL_ASCII would make psycopg return bytes) with the requested
# superuser and password, reachable from the compose network; then Postgres as user postgres.
set -eu
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
chown postgres:postgres "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    printf '%s' "${POSTGRES_PASSWORD:-postgres}" > /tmp/pwfile && chown postgres /tmp/pwfile
    as_postgres initdb -E UTF8 --locale=C.UTF-8 --username="${POSTGRES_USER:-postgres}" --pwfile=/tmp/pwfile \
        --auth-host=scram-sha-256 --auth-local=trust -D "$PGDATA"
    rm -f /tmp/pwfile
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$@" -D "$PGDATA"
