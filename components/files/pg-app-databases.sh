# shellcheck shell=bash disable=SC2154  # ADMIN and `as` come from pg-roles.sh, which this is appended to
# pg-app-databases: appended to pg-roles.sh (same shell: `as`, ADMIN, PGOPTIONS) when apps have
# databases of their own. Per app, an ordinary role (as the default app's: no superuser, no
# CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS) owning a database of its own; CONNECT and TEMPORARY
# revoked from PUBLIC on every app's database, the default one and `postgres`, so a role connects
# only to the database it owns. Idempotent: creates what is missing, sets every password from its
# file (a changed file rotates it in place), drops nothing (a removed app keeps its data).
#
# Passwords are read by psql from their files (backquote expansion): in no argument, and never logged
# (PGOPTIONS, see pg-roles.sh).
#
# Environment: APP_DATABASES, space-separated ROLE:DATABASE:PASSWORD_FILE; the component allows only
# [a-z_][a-z0-9_]* in names, and psql quotes them as identifiers (:"role") all the same.
: "${APP_DATABASES:?}"
for entry in $APP_DATABASES; do
  IFS=: read -r role database file <<<"$entry"
  # one transaction: the role never exists without its password
  PASSWORD_FILE=$file as "$ADMIN" -v role="$role" <<'SQL'
BEGIN;
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
\set pw `cat "$PASSWORD_FILE"`
ALTER ROLE :"role" WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw';
\unset pw
COMMIT;
SQL
  # CREATE DATABASE cannot run in a transaction: \gexec runs it on its own
  as "$ADMIN" -v role="$role" -v database="$database" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
ALTER DATABASE :"database" OWNER TO :"role";
REVOKE CONNECT, TEMPORARY ON DATABASE :"database" FROM PUBLIC;
SQL
  echo "role $role: no superuser, owner of database $database, password set from its file"
done
as "$ADMIN" <<'SQL'
REVOKE CONNECT, TEMPORARY ON DATABASE :"db" FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;
SQL
echo "CONNECT revoked from PUBLIC: each role connects only to the database it owns"
