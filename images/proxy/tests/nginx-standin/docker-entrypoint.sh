#!/bin/sh
# Entrypoint of the nginx stand-in, behaving as the official image's: when the command is nginx or
# nginx-debug, run the hooks in /docker-entrypoint.d/ in version order first (executable *.envsh
# files are sourced, executable *.sh files run, anything else is skipped), then exec the command.
set -e
if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
  for hook in $(find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f 2>/dev/null | sort -V); do
    [ -x "$hook" ] || continue
    case "$hook" in
      *.envsh) . "$hook" ;;
      *.sh) "$hook" ;;
    esac
  done
fi
exec "$@"
