# nginx with the shipped nginx/autowg.conf for the tests and benchmarks
# (sourced). Only paths and the listen address are templated.
#   nginx_conf DIR LISTEN PKI SOCK [SED-EXPRESSION...]
# writes DIR/nginx.conf (which includes DIR/autowg.conf); run it with
#   nginx -c DIR/nginx.conf   (it stays in the foreground: daemon off)
# Each SED-EXPRESSION is applied to autowg.conf after the templating.
nginx_conf() {
  local dir=$1 listen=$2 pki=$3 sock=$4 top
  shift 4
  top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  mkdir -p "$dir/tmp"
  local extra=()
  for e in "$@"; do extra+=(-e "$e"); done
  sed -e "s|/etc/autowg/tls/|$pki/|g" -e "s|/run/autowg/autowg.sock|$sock|g" \
    -e "s|listen 443 ssl;|listen $listen ssl;|" "${extra[@]}" "$top/nginx/autowg.conf" > "$dir/autowg.conf"
  cp /etc/nginx/fastcgi_params "$dir/"
  cat > "$dir/nginx.conf" << CONF
user root;
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events {}
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    include $dir/autowg.conf;
}
CONF
}
