#!/bin/bash
set -e

echo "Waiting for PostgreSQL to be ready..."
python /app/scripts/wait_for_db.py

echo "PostgreSQL is up - executing command"
exec "$@"
