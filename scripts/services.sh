#!/usr/bin/env bash
# `npm run services` (and .ci/run): makes sure RabbitMQ, Redis, PostgreSQL and MariaDB answer on localhost at
# their default ports, the integration tests' default addresses, starting any that does not. Servers
# elsewhere (AMQP_URL, REDIS_URL, DATABASE_URL, MYSQL_URL) are not its business. The start commands are this
# machine's own (see the env notes); each is given time to come up.
set -uo pipefail

answers() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_for() { # name port seconds
  local name=$1 port=$2 seconds=$3
  for ((i = 0; i < seconds; i++)); do
    if answers 127.0.0.1 "$port"; then
      echo "services: $name answers on 127.0.0.1:$port"
      return 0
    fi
    sleep 1
  done
  echo "services: $name did not answer on 127.0.0.1:$port after ${seconds}s" >&2
  return 1
}

ensure() { # name port seconds start-command...
  local name=$1 port=$2 seconds=$3
  shift 3
  if answers 127.0.0.1 "$port"; then
    echo "services: $name answers on 127.0.0.1:$port"
    return 0
  fi
  echo "services: starting $name"
  "$@" || echo "services: the start command of $name failed (exit $?)" >&2
  wait_for "$name" "$port" "$seconds"
}

status=0
ensure PostgreSQL 5432 60 bash -c 'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start' || status=1
ensure Redis 6379 30 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
  --dir /var/lib/redis --logfile /var/log/redis/ci.log || status=1
ensure RabbitMQ 5672 180 rabbitmq-server -detached || status=1
ensure MariaDB 3306 60 start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || status=1

# The header-fidelity test publishes through a client other than amqplib: Debian's python3-pika.
if ! /usr/bin/python3 -c 'import pika' 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "services: installing python3-pika"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q python3-pika >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q python3-pika >/dev/null; } ||
      { echo "services: could not install python3-pika" >&2; status=1; }
  else
    echo "services: python3-pika is missing, and only root can install it: sudo apt-get install -y python3-pika" >&2
    status=1
  fi
fi
exit $status
