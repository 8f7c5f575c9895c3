#!/bin/bash
# pg-roles: the app connects as an ordinary role that owns its database; the only superuser is
# `postgres`, reachable over the server's unix socket alone (trust for local connections in the
# official image's pg_hba.conf; no password, so no network login). Idempotent: run at every deploy
# whose password file changed and whenever the server container is new.
#
# Why a rename and not a demotion: the official entrypoint creates POSTGRES_USER with
# `initdb --username`, so the app's role is the bootstrap superuser, the owner of the system catalogs.
# PostgreSQL 16+ refuses to take superuser from it ("permission denied: bootstrap user must be
# superuser", commit e530be2c), and in older versions a demoted bootstrap user still owns the catalogs.
# So the first run renames the bootstrap superuser to `postgres` and creates a new role with the app's
# name, which then owns the app's database and every object in it the bootstrap superuser owned. A
# helper superuser does the rename, since no session can rename its own role; it is dropped at once.
#
# The password is read by psql from the file (backquote expansion), so it is in no argument. Every
# session here is a superuser's with statement logging off (PGOPTIONS: a non-superuser could not set
# these, so the connection would fail rather than log): the ALTER ROLE ... PASSWORD never reaches the
# server's log, however log_statement or log_min_error_statement are set.
#
# Environment: PGHOST (the socket directory), PGDATABASE, APP_ROLE, PASSWORD_FILE.
set -euo pipefail
: "${PGHOST:?}" "${PGDATABASE:?}" "${APP_ROLE:?}" "${PASSWORD_FILE:?}"
ADMIN=postgres
HELPER=standard_stack_provision
export PGOPTIONS="-c log_statement=none -c log_min_error_statement=panic -c log_min_duration_statement=-1 \
-c log_min_duration_sample=-1 -c log_transaction_sample_rate=0 -c track_activities=off -c debug_print_parse=off"

as() {  # as ROLE [psql args]: a quiet psql session that stops at the first error
  local role=$1
  shift
  psql -X -q -v ON_ERROR_STOP=1 -U "$role" -v app="$APP_ROLE" -v admin="$ADMIN" -v helper="$HELPER" -v db="$PGDATABASE" "$@"
}

# true:<bootstrap> when ROLE exists, logs in over the socket and is a superuser; <bootstrap> true for the bootstrap one
superuser() { as "$1" -Atc "select rolsuper || ':' || (oid = 10) from pg_roles where rolname = current_user" 2>/dev/null; }

# the app's role as it must be: ordinary, owner of its database and of what the bootstrap superuser
# created in it (init SQL, migrations run before this script existed); the password from the file
ensure_sql() {
  cat <<'SQL'
\set pw `cat "$PASSWORD_FILE"`
ALTER ROLE :"app" WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw';
\unset pw
ALTER DATABASE :"db" OWNER TO :"app";
SQL
  objects_sql
}

# in the connected database: what the bootstrap superuser owns goes to the app's role
objects_sql() {
  cat <<'SQL'
-- user objects only (oid >= 16384), not those that follow another object (indexes, a column's
-- sequence, an extension's members): ALTER TABLE carries those along
SELECT format('ALTER %s %s OWNER TO %I', kind, object, :'app')
FROM (
  SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
           WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END, c.oid::regclass::text, 'pg_class'::regclass, c.oid
  FROM pg_class c WHERE c.relowner = 10 AND c.oid >= 16384 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c')
  UNION ALL
  SELECT 'TYPE', t.oid::regtype::text, 'pg_type'::regclass, t.oid
  FROM pg_type t WHERE t.typowner = 10 AND t.oid >= 16384 AND t.typtype IN ('e', 'd', 'r')
  UNION ALL
  SELECT 'ROUTINE', p.oid::regprocedure::text, 'pg_proc'::regclass, p.oid
  FROM pg_proc p WHERE p.proowner = 10 AND p.oid >= 16384
  UNION ALL
  SELECT 'SCHEMA', quote_ident(n.nspname), 'pg_namespace'::regclass, n.oid
  FROM pg_namespace n WHERE n.nspowner = 10 AND (n.oid >= 16384 OR n.nspname = 'public')
) AS owned(kind, object, classid, objid)
WHERE NOT EXISTS (
  SELECT FROM pg_depend d WHERE d.classid = owned.classid AND d.objid = owned.objid AND d.deptype IN ('a', 'i', 'e')
) \gexec
SQL
}

migrate() {
  echo "role $APP_ROLE is the bootstrap superuser: renaming it to $ADMIN, creating an ordinary role $APP_ROLE"
  as "$APP_ROLE" <<'SQL'
SELECT format('CREATE ROLE %I SUPERUSER LOGIN', :'helper') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'helper') \gexec
SQL
  # one transaction: the app's role never exists without its password, nor twice
  {
    echo 'BEGIN;'
    echo 'ALTER ROLE :"app" RENAME TO :"admin";'
    echo 'ALTER ROLE :"admin" PASSWORD NULL;'
    echo 'CREATE ROLE :"app";'
    ensure_sql
    # the other databases the app's role created as the bootstrap superuser (init SQL: CREATE DATABASE ... OWNER app)
    echo "SELECT format('ALTER DATABASE %I OWNER TO %I', datname, :'app') FROM pg_database"
    echo "WHERE datdba = 10 AND datname NOT IN ('postgres', 'template0', 'template1') \gexec"
    echo 'COMMIT;'
  } | as "$HELPER"
  local others name
  # the databases the app's role owns now besides its own (names NUL-separated: any byte may be in one)
  others=$(as "$ADMIN" -Atq0 -c "select datname from pg_database where datname <> current_database()
    and datdba = (select datdba from pg_database where datname = current_database())" | base64 -w0)
  while IFS= read -r -d '' name; do
    echo "database $name: objects of the bootstrap superuser go to $APP_ROLE"
    objects_sql | PGDATABASE=$name as "$ADMIN"  # from the environment, libpq never reads a name as a connection string
  done < <(base64 -d <<<"$others")
  # sessions opened as the old app role are the bootstrap superuser's now: they reconnect as the new role
  as "$ADMIN" -At <<'SQL'
DROP ROLE :"helper";
SELECT 'closed ' || count(pg_terminate_backend(pid)) || ' network session(s) of the renamed role'
FROM pg_stat_activity WHERE usesysid = 10 AND client_addr IS NOT NULL;
SQL
}

case $(superuser "$ADMIN" || true) in
  true:*) { echo 'BEGIN;'; ensure_sql; echo 'COMMIT;'; } | as "$ADMIN" ;;
  *)
    if [ "$(superuser "$APP_ROLE" || true)" != "true:true" ]; then
      echo "pg-roles: neither $ADMIN nor the bootstrap superuser $APP_ROLE can log in over the socket in $PGHOST" >&2
      exit 1
    fi
    migrate
    ;;
esac
echo "role $APP_ROLE: no superuser, owner of database $PGDATABASE, password set from the current password file"
