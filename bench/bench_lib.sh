# Shared by the daemon benchmarks (sourced): nginx serving $work/www on
# 127.0.0.1 (sets $port), and the measure helpers. Needs $work and $build.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  if_modified_since before;
  types { application/rss+xml xml; }
  server { listen 127.0.0.1:$port; root $work/www; }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work" -g 'daemon on;'
ready=0
for _ in $(seq 1 50); do curl -fs -o /dev/null "http://127.0.0.1:$port/f00000.xml" && { ready=1; break; }; sleep 0.1; done
[ $ready = 1 ] || { echo "daemon_bench: nginx does not serve the feeds" >&2; cat "$work/nginx/error.log" >&2; exit 1; }

measure() {  # prints "wall cpu rss"; fails the benchmark when the command fails
  local out; out=$("$build/measure" "$@" 2>&1 >/dev/null | tail -n 30)
  if ! printf "%s\n" "$out" | grep -q "^MEASURE .* 0$"; then echo "benchmark command failed: $*" >&2; printf "%s\n" "$out" >&2; exit 1; fi
  printf "%s\n" "$out" | awk '/^MEASURE/ {print $2, $3, $4}'
}
# nginx's CPU seconds so far (master and worker): the server shares the two
# cores with the client, so its CPU is part of every cycle's wall time.
srv_cpu() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } |  # processes come and go meanwhile
    awk -v m="$(cat "$work/nginx.pid")" -v hz="$(getconf CLK_TCK)" \
      '{ pid = $1; sub(/^.*\) /, ""); if (pid == m || $2 == m) t += $12 + $13 } END { printf "%.2f", t / hz }'
}
# measure, plus the server's CPU over the run: prints "wall cpu rss server_cpu"
measure_srv() {
  local s0 s1 m; s0=$(srv_cpu); m=$(measure "$@"); s1=$(srv_cpu)
  echo "$m $(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')"
}
