#!/bin/bash
# pg-backup: scheduled, compressed, consistent dumps of every database of one PostgreSQL server.
#
#   pg-backup.sh loop    run once now, then every BACKUP_INTERVAL_SECONDS (the container's command)
#   pg-backup.sh now     one run on demand (docker exec ... bash /opt/pg-backup/pg-backup.sh now)
#   pg-backup.sh check   the health check: fails when the last run failed or the newest dump is
#                        older than twice the interval
#   pg-backup.sh list    the dumps on the backup volume, newest first
#   pg-backup.sh restore FILE   restore one dump into its database (scripts/restore-postgres calls it)
#
# Why `pg_dump -Fc` per database and not a base backup with WAL archiving: a dump is taken inside one
# repeatable-read snapshot (consistent without stopping writes), needs no server-side configuration
# (archive_command, a replication role, a WAL volume), restores into any later major version with
# `pg_restore --clean --if-exists`, and is compressed by pg_dump itself (zlib, -Z 6). The price is
# no point-in-time recovery: at most one interval of writes can be lost.
#
# Database names are data, never code: each one reaches libpq as the value of an explicit, quoted
# `dbname='...'`, so a name that looks like a connection string (`host=... dbname=...`) is only a
# name; names are read NUL-separated; and a dump's file name is the database's name with every byte
# outside [A-Za-z0-9_-] (and a leading dot) percent-encoded (`host=x` -> `host%3Dx`), so no name
# writes outside the backup directory. `restore` decodes the file name back to the database's name.
# The container connects over the server's socket as a superuser: no password, no pgpass file.
#
# Settings (environment): PGHOST (the server's socket directory) PGPORT PGUSER, BACKUP_DIR,
# BACKUP_INTERVAL_SECONDS, BACKUP_KEEP_COUNT, BACKUP_KEEP_DAYS, BACKUP_COPY_DIR (optional: a
# second, off-host copy).
set -uo pipefail

DIR=${BACKUP_DIR:-/var/lib/postgresql/backups}
INTERVAL=${BACKUP_INTERVAL_SECONDS:-86400}
KEEP_COUNT=${BACKUP_KEEP_COUNT:-14}
KEEP_DAYS=${BACKUP_KEEP_DAYS:-30}
COPY_DIR=${BACKUP_COPY_DIR:-}
STATUS=/tmp/pg-backup.status
LOCK=/tmp/pg-backup.lock
STAMP_RE='[0-9]{8}T[0-9]{6}Z'

log() { printf '%s pg-backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

# file_name_of NAME: NAME with each byte outside [A-Za-z0-9_-] percent-encoded (a dot kept past the first byte)
file_name_of() {
  local LC_ALL=C
  local name=$1 out='' i c
  for ((i = 0; i < ${#name}; i++)); do
    c=${name:i:1}
    if [[ $c == [A-Za-z0-9_-] || ($c == . && $i -gt 0) ]]; then
      out+=$c
    else
      out+=$(printf '%%%02X' "'$c")
    fi
  done
  printf '%s' "$out"
}

# name_of FILE_NAME_PART: the inverse of file_name_of
name_of() {
  local LC_ALL=C
  printf '%b' "${1//%/\\x}"
}

# conninfo NAME: dbname='NAME' with \ and ' escaped, so libpq never reads NAME as a connection string
conninfo() {
  local v=${1//\\/\\\\}
  v=${v//\'/\\\'}
  printf "dbname='%s'" "$v"
}

# dumps_of DIR DB: the dumps of one database (its file-name form), newest first: names end in a UTC
# timestamp, so reverse name order is time order. An exact match: `app` is not `app-2`.
dumps_of() {
  local file
  find "$1" -maxdepth 1 -type f -name '*.dump' -printf '%f\n' 2>/dev/null | while IFS= read -r file; do
    if [[ $file =~ ^(.+)-($STAMP_RE)\.dump$ ]] && [ "${BASH_REMATCH[1]}" = "$2" ]; then
      printf '%s\n' "$file"
    fi
  done | sort -r
}

prune() {  # prune DIR DB: keep the newest KEEP_COUNT and none older than KEEP_DAYS, but always the newest
  local dir=$1 db=$2 rank=0 file
  while IFS= read -r file; do
    rank=$((rank + 1))
    [ "$rank" -eq 1 ] && continue
    if [ "$rank" -gt "$KEEP_COUNT" ] || [ -n "$(find "$dir/$file" -mmin +$((KEEP_DAYS * 1440)))" ]; then
      rm -f -- "$dir/$file" && log "pruned file=$dir/$file"
    fi
  done < <(dumps_of "$dir" "$db")
}

dump_one() {  # dump_one NAME STAMP
  local name=$1 stamp=$2 db file start end size ms
  db=$(file_name_of "$name")  # what file names and the log show
  file="$DIR/$db-$stamp.dump"
  start=$(date +%s%N)
  log "start database=$db file=$file"
  if ! pg_dump --format=custom --compress=6 --dbname="$(conninfo "$name")" --file="$file.partial"; then
    rm -f -- "$file.partial"
    log "FAILED database=$db step=pg_dump"
    return 1
  fi
  mv -- "$file.partial" "$file"
  if [ -n "$COPY_DIR" ]; then
    if ! { cp -- "$file" "$COPY_DIR/$db-$stamp.dump.partial" && mv -- "$COPY_DIR/$db-$stamp.dump.partial" "$COPY_DIR/$db-$stamp.dump"; }; then
      log "FAILED database=$db step=copy dest=$COPY_DIR"
      return 1
    fi
    prune "$COPY_DIR" "$db"
  fi
  end=$(date +%s%N)
  size=$(stat -c %s "$file")
  ms=$(((end - start) / 1000000))
  log "ok database=$db size=$size duration=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))s file=$file"
  prune "$DIR" "$db"
}

# one run at a time (the schedule and `now`); the lock lives only as long as the subshell
run() { (flock -w 3600 9 || { log "FAILED step=lock"; exit 1; }; run_locked) 9>"$LOCK"; }

run_locked() {
  local stamp listed names=() name failed=0 dumped=()
  mkdir -p "$DIR" || { echo "failed $(date +%s) mkdir" >"$STATUS"; log "FAILED step=mkdir dir=$DIR"; return 1; }
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  # NUL-separated (-0): a name may hold a newline or a space
  if ! listed=$(psql -d "dbname=postgres" -Atq -0 -v ON_ERROR_STOP=1 \
    -c "select datname from pg_database where datallowconn and not datistemplate and datname <> 'postgres' order by 1" | base64 -w0); then
    echo "failed $(date +%s) list" >"$STATUS"
    log "FAILED step=list-databases host=${PGHOST:-} status=1"
    return 1
  fi
  [ -n "$listed" ] && mapfile -d '' -t names < <(base64 -d <<<"$listed")
  for name in "${names[@]}"; do
    dump_one "$name" "$stamp" || failed=1
    dumped+=("$(file_name_of "$name")")
  done
  if [ "$failed" -ne 0 ]; then
    echo "failed $(date +%s)" >"$STATUS"
    log "run FAILED status=1"
    return 1
  fi
  echo "ok $(date +%s)" >"$STATUS"
  log "run ok databases=$(IFS=,; echo "${dumped[*]}")"
}

check() {
  local state newest now
  state=$(cat "$STATUS" 2>/dev/null || echo starting)
  case $state in
    starting*) exit 0 ;;  # the first run is under way (it starts with the container)
    failed*) echo "last backup run failed: $state"; exit 1 ;;
  esac
  newest=$(find "$DIR" -maxdepth 1 -type f -name '*.dump' -printf '%T@\n' | sort -n | tail -1)
  now=$(date +%s)
  if [ -z "$newest" ] || [ $((now - ${newest%.*})) -gt $((2 * INTERVAL)) ]; then
    echo "newest backup is older than twice the interval (${INTERVAL}s)"
    exit 1
  fi
  echo "newest backup $((now - ${newest%.*}))s old"
}

restore() {  # restore FILE: into the database named by FILE without "-<stamp>.dump", decoded (file_name_of)
  local file=$1 db name start end
  case $file in */* | .* | "") echo "restore: give a file name from 'list', not a path: '$file'" >&2; return 2 ;; esac
  if ! [[ $file =~ ^([A-Za-z0-9_%.-]+)-($STAMP_RE)\.dump$ ]]; then
    echo "restore: '$file' is not a backup's name (<database>-<YYYYMMDDTHHMMSSZ>.dump, see: list)" >&2
    return 2
  fi
  db=${BASH_REMATCH[1]}
  [ -f "$DIR/$file" ] || { echo "restore: no backup named '$file' in $DIR (see: list)" >&2; return 2; }
  name=$(name_of "$db")
  start=$(date +%s%N)
  log "restore start database=$db file=$DIR/$file"
  # the API is stopped by the caller; anything else still connected would hold locks on the tables
  # (psql interpolates :'db' as a quoted literal in scripts read from stdin, not in -c)
  echo "select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = :'db' and pid <> pg_backend_pid();" |
    psql -d "dbname=postgres" -Atq -v ON_ERROR_STOP=1 -v db="$name" >/dev/null || return 1
  # one transaction: a failing restore leaves the database as it was
  if ! pg_restore --clean --if-exists --single-transaction --exit-on-error --dbname="$(conninfo "$name")" "$DIR/$file"; then
    log "restore FAILED database=$db file=$DIR/$file"
    return 1
  fi
  end=$(date +%s%N)
  log "restore ok database=$db duration=$(((end - start) / 1000000))ms file=$DIR/$file"
}

case ${1:-loop} in
  loop)
    trap 'log "stopping"; exit 0' TERM INT
    echo starting >"$STATUS"
    log "schedule interval=${INTERVAL}s keep_count=$KEEP_COUNT keep_days=$KEEP_DAYS dir=$DIR copy_to=${COPY_DIR:-none}"
    while :; do
      run
      sleep "$INTERVAL" &
      wait $!
    done
    ;;
  now) run ;;
  restore) restore "${2:-}" ;;
  check) check ;;
  list)
    find "$DIR" -maxdepth 1 -type f -name '*.dump' -printf '%TY-%Tm-%Td %TH:%TM  %10s  %f\n' | sort -r -k4
    ;;
  *) echo "usage: pg-backup.sh loop|now|check|list" >&2; exit 2 ;;
esac
