#!/bin/sh
# Test only: the official redis image's entrypoint contract on Debian's package. Options alone
# are passed to redis-server; redis-server started without a config file listens on every
# interface with protected mode off (the container network is the boundary), as the official
# image does; it runs as the redis user.
set -eu
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
    set -- redis-server "$@"
fi
if [ "$1" = redis-server ]; then
    shift
    case "${1:-}" in
        *.conf) ;;
        *) set -- --protected-mode no "$@" ;;
    esac
    set -- redis-server "$@"
    if [ "$(id -u)" = 0 ]; then
        exec setpriv --reuid=redis --regid=redis --init-groups "$@"
    fi
fi
exec "$@"
