# Config writers for compare.sh (sourced; uses WORK, BACKENDS, BODY_SIZE, PROXY_THREADS,
# SLUICE_THREADS, SLUICE_CMD, STREAM_MODULE and free_port from there).
# Each proxy gets the same shape: an "http" frontend over the three backends and a "bulk" frontend
# over one iperf3 server, both on 127.0.0.1.

# The backends: one nginx serving a BODY_SIZE-byte file on three ports, telling which port answered.
write_backend_conf() {
  local listens="" p
  for p in "${BACKENDS[@]}"; do listens+="    listen 127.0.0.1:$p backlog=4096;"$'\n'; done
  cat > "$1" <<EOF
worker_processes 1;
daemon off;
pid $WORK/run/backends.pid;
worker_rlimit_nofile 10000;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on; tcp_nodelay on;
  keepalive_requests 1000000000; keepalive_timeout 120s;
  client_body_temp_path $WORK/run/body; proxy_temp_path $WORK/run/proxy; fastcgi_temp_path $WORK/run/fastcgi;
  uwsgi_temp_path $WORK/run/uwsgi; scgi_temp_path $WORK/run/scgi;
  server {
$listens    root $WORK/www;
    add_header X-Backend \$server_port always;
  }
}
EOF
}

# HAProxy as its users run it for TCP: mode tcp, round robin, no splicing (the default).
write_haproxy_conf() {  # FILE HTTP_PORT BULK_PORT IPERF_PORT
  local i=0 p
  {
    printf 'global\n  nbthread %s\n  maxconn 4096\n' "$PROXY_THREADS"
    printf 'defaults\n  mode tcp\n  maxconn 4096\n  timeout connect 5s\n  timeout client 120s\n  timeout server 120s\n'
    printf 'frontend http\n  bind 127.0.0.1:%s\n  default_backend web\n' "$2"
    printf 'backend web\n  balance roundrobin\n'
    for p in "${BACKENDS[@]}"; do i=$((i + 1)); printf '  server web%s 127.0.0.1:%s\n' "$i" "$p"; done
    printf 'frontend bulk\n  bind 127.0.0.1:%s\n  default_backend iperf\n' "$3"
    printf 'backend iperf\n  server iperf 127.0.0.1:%s\n' "$4"
  } > "$1"
}

# nginx's stream module: round robin is its default balancing.
write_nginx_stream_conf() {  # FILE HTTP_PORT BULK_PORT IPERF_PORT
  local servers="" p
  for p in "${BACKENDS[@]}"; do servers+="    server 127.0.0.1:$p;"$'\n'; done
  cat > "$1" <<EOF
load_module $STREAM_MODULE;
worker_processes $PROXY_THREADS;
daemon off;
pid $WORK/run/nginx-stream.pid;
worker_rlimit_nofile 10000;
events { worker_connections 4096; }
stream {
  upstream web {
$servers  }
  upstream iperf { server 127.0.0.1:$4; }
  server { listen 127.0.0.1:$2 backlog=4096; proxy_pass web; proxy_connect_timeout 5s; proxy_timeout 120s; }
  server { listen 127.0.0.1:$3; proxy_pass iperf; proxy_connect_timeout 5s; proxy_timeout 120s; }
}
EOF
}

# Sluice's standalone config: two services, as a user would write them.
write_sluice_conf() {  # FILE HTTP_PORT BULK_PORT IPERF_PORT
  local list="" p
  for p in "${BACKENDS[@]}"; do list+="${list:+, }\"127.0.0.1:$p\""; done
  cat > "$1" <<EOF
services:
  - name: web
    listen: ["127.0.0.1:$2"]
    backends: [$list]
  - name: bulk
    listen: ["127.0.0.1:$3"]
    backends: ["127.0.0.1:$4"]
EOF
}

# SLUICE_ARGS: the flags this Sluice build understands, read from its help. Side listeners
# (health, metrics) go to free loopback ports; the event-loop thread count is passed when there is
# a flag for it (SLUICE_THREADS is also in bin/sluice's environment either way).
sluice_flags() {
  local help flag
  SLUICE_ARGS=()
  # shellcheck disable=SC2086  # SLUICE_CMD may carry its own arguments
  help=$(timeout 60 $SLUICE_CMD run --help 2>&1)
  for flag in --healthz-bind-address --metrics-bind-address; do
    if [[ $help == *"$flag"* ]]; then free_port; SLUICE_ARGS+=("$flag" "127.0.0.1:$PORT"); fi
  done
  for flag in --event-loop-threads --io-threads --threads; do
    if [[ $help =~ (^|[^a-z-])$flag([^a-z-]|$) ]]; then SLUICE_ARGS+=("$flag" "$SLUICE_THREADS"); break; fi
  done
}
