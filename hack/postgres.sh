#!/usr/bin/env bash
# A private PostgreSQL server for the contract tests: the real DittoFS server must be shown to keep its
# control plane in PostgreSQL, so the tests need a database they start and stop themselves.
#
#   hack/postgres.sh install                    install Debian's postgresql package if no server binaries exist
#   hack/postgres.sh start DIR PORT USER PASS DB  initdb into DIR, listen on 127.0.0.1:PORT only (TLS on), create
#                                                 a role (allowed to create roles and databases) and its database
#   hack/postgres.sh stop DIR                   stop the server started in DIR (fast shutdown) and remove DIR
#
# The server never touches the machine's default cluster: its data, socket and log live in DIR, it listens on
# loopback only, and as root it runs as the unprivileged "postgres" user (PostgreSQL refuses to run as root).
set -euo pipefail

log() { printf '[postgres %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

bindir() {
  if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then
    pg_config --bindir
    return
  fi
  # Debian keeps server binaries out of PATH, one directory per major version; take the newest.
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$d" && -x "$d/initdb" ]] || return 1
  echo "$d"
}

# Runs a command as the server's owner: "postgres" when we are root, ourselves otherwise.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd_install() {
  if bindir >/dev/null; then
    log "server binaries present in $(bindir)"
    return
  fi
  [[ $(id -u) -eq 0 ]] || die "PostgreSQL is not installed and installing it needs root (apt-get install postgresql)"
  log "installing postgresql with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  # The package creates and starts a default cluster on 5432; the tests never use it.
  bindir >/dev/null || die "postgresql installed but no initdb found"
}

cmd_start() {
  [[ $# -eq 5 ]] || die "usage: start DIR PORT USER PASSWORD DATABASE"
  local dir=$1 port=$2 user=$3 password=$4 db=$5 bin
  bin=$(bindir) || die "PostgreSQL server binaries not found; run: hack/postgres.sh install"
  [[ "$port" =~ ^[0-9]+$ ]] || die "port must be a number: $port"
  [[ "$user" =~ ^[a-z_][a-z0-9_]*$ && "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || die "user and database must be plain identifiers"
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user (created by the Debian package)"
    chown postgres: "$dir"
    runuser -u postgres -- test -x "$dir" \
      || die "$dir is not reachable by the postgres user: its parent directories need o+x"
  fi
  chmod 700 "$dir"
  local data="$dir/data"
  # The superuser authenticates over the private socket only (trust, socket mode 0700); TCP needs a password.
  as_owner "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  # TLS like the Percona operator's clusters (DittoFS connects to those with sslmode=require): a throwaway
  # self-signed certificate, so clients can require encryption without verifying the server.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -keyout "$dir/server.key" -out "$dir/server.crt" 2>/dev/null || die "openssl could not make the server certificate"
  chmod 600 "$dir/server.key"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir/server.key" "$dir/server.crt"; fi
  as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c unix_socket_permissions=0700 -c fsync=off -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key" \
    >/dev/null || { cat "$dir/server.log" >&2; die "server did not start"; }
  # Identifiers were checked above; the password is passed as a psql variable so quoting is psql's job.
  as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
    -v pw="$password" <<SQL
CREATE ROLE $user LOGIN CREATEROLE CREATEDB PASSWORD :'pw';
CREATE DATABASE $db OWNER $user;
SQL
  log "listening on 127.0.0.1:$port (data $data)"
}

cmd_stop() {
  [[ $# -eq 1 ]] || die "usage: stop DIR"
  local dir=$1 bin
  bin=$(bindir) || die "PostgreSQL server binaries not found"
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || log "pg_ctl stop failed"
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  install) shift; cmd_install "$@" ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) die "usage: $0 install | start DIR PORT USER PASSWORD DATABASE | stop DIR" ;;
esac
