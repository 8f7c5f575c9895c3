#!/bin/sh
# The image version and the task's hostname (the service sets it to node and slot).
printf 'Content-Type: text/plain\r\n\r\n%s %s\n' "$(cat /www/version)" "$(cat /etc/hostname)"
