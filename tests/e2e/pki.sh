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

# The device CA as an operator runs it with `openssl ca`: its database and
# configuration in DIR/ca-db (sourced helpers below use it).
ca_setup() {
  local dir=$1
  mkdir -p "$dir/ca-db"
  [[ -f $dir/ca-db/index.txt ]] || : > "$dir/ca-db/index.txt"
  [[ -f $dir/ca-db/crlnumber ]] || echo 01 > "$dir/ca-db/crlnumber"
  [[ -f $dir/ca-db/serial ]] || echo 4000 > "$dir/ca-db/serial"
  cat > "$dir/ca-db/ca.cnf" << CNF
[ca]
default_ca = device_ca
[device_ca]
database = $dir/ca-db/index.txt
crlnumber = $dir/ca-db/crlnumber
serial = $dir/ca-db/serial
new_certs_dir = $dir/ca-db
certificate = $dir/device-ca.crt
private_key = $dir/device-ca.key
default_md = sha256
default_crl_days = 2
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = device
[any]
commonName = supplied
organizationName = optional
countryName = optional
[device]
extendedKeyUsage = clientAuth
CNF
}

# Writes the device CA's CRL to DIR/device-ca.crl (PEM) as it stands, with
# no revocations at first. The file is replaced in one rename, as tools do.
#   write_crl DIR
write_crl() {
  local dir=$1
  ca_setup "$dir"
  openssl ca -batch -config "$dir/ca-db/ca.cnf" -gencrl -out "$dir/device-ca.crl.new" 2> /dev/null &&
    mv "$dir/device-ca.crl.new" "$dir/device-ca.crl"
}

# Revokes device certificate NAME and writes the device CA's CRL to
# DIR/device-ca.crl (PEM), as an operator would with `openssl ca`.
#   revoke DIR NAME
revoke() {
  local dir=$1 name=$2
  ca_setup "$dir"
  openssl ca -batch -config "$dir/ca-db/ca.cnf" -revoke "$dir/$name.crt" 2> /dev/null && write_crl "$dir" ||
    { echo "revoke: cannot revoke $name" >&2; return 1; }
}

# Issues DIR/NAME.crt (and .key) for SUBJECT that expires SECONDS from now.
#   short_lived DIR NAME SUBJECT SECONDS
short_lived() {
  local dir=$1 name=$2 subject=$3 seconds=$4 end
  ca_setup "$dir"
  end=$(TZ=UTC date -d "@$(( $(date +%s) + seconds ))" +%Y%m%d%H%M%SZ)
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$subject" -keyout "$dir/$name.key" \
    -out "$dir/$name.csr" 2> /dev/null &&
    openssl ca -batch -config "$dir/ca-db/ca.cnf" -in "$dir/$name.csr" -out "$dir/$name.crt" -notext \
      -enddate "$end" 2> /dev/null ||
    { echo "short_lived: cannot issue $name" >&2; return 1; }
}
