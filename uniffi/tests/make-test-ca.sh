#!/usr/bin/env bash
# Makes a throwaway certificate authority in DIR and a server certificate it signed for
# 127.0.0.1 and localhost: DIR/ca.pem (what clients are told to trust), DIR/server.pem and
# DIR/server.key (what `onsite serve --tls-cert --tls-key` is given). Used by the FFI
# suites' HTTPS tests; valid for two days.
set -euo pipefail
dir=${1:?usage: make-test-ca.sh DIR}
mkdir -p "$dir"
cd "$dir"
curve=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${curve[@]}" -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=Onsite test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req "${curve[@]}" -keyout server.key -out server.csr -subj "/CN=onsite test server" 2>/dev/null
printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.pem 2>/dev/null
