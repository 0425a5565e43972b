# Test certificates made with openssl (sourced): a device CA, a foreign CA,
# a server certificate for vpn.example.com and device certificates.
#   make_pki DIR
make_pki() {
  local dir=$1
  mkdir -p "$dir"
  (
    cd "$dir" || exit 1
    ossl() { openssl "$@" 2> /dev/null; }
    newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
    ossl req -x509 "${newkey[@]}" -days 2 -subj "/O=Fleet/CN=Fleet Device CA" -keyout device-ca.key -out device-ca.crt
    ossl req -x509 "${newkey[@]}" -days 2 -subj "/O=Evil/CN=Foreign CA" -keyout foreign-ca.key -out foreign-ca.crt
    ossl req -x509 "${newkey[@]}" -days 2 -subj "/CN=Server CA" -keyout server-ca.key -out server-ca.crt
    ossl req "${newkey[@]}" -subj "/CN=vpn.example.com" -keyout server.key -out server.csr
    printf 'subjectAltName=DNS:vpn.example.com\nextendedKeyUsage=serverAuth\n' > server.ext
    ossl x509 -req -in server.csr -CA server-ca.crt -CAkey server-ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server-leaf.crt
    # As a real deployment's fullchain file: lighttpd builds the chain from it.
    cat server-leaf.crt server-ca.crt > server.crt
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    # device NAME SUBJECT [CA]
    device() {
      ossl req "${newkey[@]}" -subj "$2" -keyout "$1.key" -out "$1.csr"
      ossl x509 -req -in "$1.csr" -CA "${3:-device-ca}.crt" -CAkey "${3:-device-ca}.key" -CAcreateserial \
        -days 2 -extfile client.ext -out "$1.crt"
    }
    device dev-1234 "/C=DE/O=Fleet/CN=1234"
    device dev-5678 "/C=DE/O=Fleet/CN=5678"
    device toilet-7 "/O=Fleet/CN=smart-toilet-7"
    device foreign-1234 "/O=Evil/CN=1234" foreign-ca
    device revoked-4321 "/O=Fleet/CN=4321"
  )
  for f in device-ca.crt server.crt dev-1234.crt foreign-1234.crt; do
    [[ -s $dir/$f ]] || { echo "make_pki: $dir/$f was not made" >&2; return 1; }
  done
}

# Revokes device certificate NAME and writes the device CA's CRL to
# DIR/device-ca.crl (PEM), as an operator would with `openssl ca`.
#   revoke DIR NAME
revoke() {
  local dir=$1 name=$2
  (
    cd "$dir" || exit 1
    mkdir -p ca-db
    : > ca-db/index.txt
    [[ -f ca-db/crlnumber ]] || echo 01 > ca-db/crlnumber
    cat > ca-db/ca.cnf << CNF
[ca]
default_ca = device_ca
[device_ca]
database = $dir/ca-db/index.txt
crlnumber = $dir/ca-db/crlnumber
certificate = $dir/device-ca.crt
private_key = $dir/device-ca.key
default_md = sha256
default_crl_days = 2
CNF
    openssl ca -batch -config ca-db/ca.cnf -revoke "$name.crt" 2> /dev/null &&
      openssl ca -batch -config ca-db/ca.cnf -gencrl -out device-ca.crl 2> /dev/null
  ) || { echo "revoke: cannot revoke $name" >&2; return 1; }
}
