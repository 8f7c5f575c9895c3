# Fed to `bash -s` in a probe container on the lab's overlay network (tests/swarm/test_lab.py).
#   bash -s each SERVICE   -> one line per task: "IP: VERSION HOSTNAME" or "IP: FAIL"
#   bash -s loop SERVICE   -> like a client: resolve SERVICE, ask one address, "ok ..." or "FAIL", ~10/s until killed
# Plain bash /dev/tcp: the Debian base has no HTTP client, and busybox-static's wget segfaults here.
# shellcheck disable=SC2016 # $0 expands in the inner bash
get() { timeout 3 bash -c 'exec 3<>/dev/tcp/$0/8080 && printf "GET /cgi-bin/id HTTP/1.0\r\n\r\n" >&3 && tail -n1 <&3' "$1" 2>/dev/null | grep . || echo FAIL; }
case $1 in
  each) for ip in $(getent ahostsv4 "tasks.$2" | cut -d' ' -f1 | sort -u); do echo "$ip: $(get "$ip")"; done ;;
  loop) while :; do
          ip=$(getent ahostsv4 "$2" | head -n1 | cut -d' ' -f1)
          if [ -n "$ip" ] && out=$(get "$ip") && [ "$out" != FAIL ]; then echo "ok $out"; else echo "FAIL $ip"; fi
          sleep 0.1
        done ;;
esac
