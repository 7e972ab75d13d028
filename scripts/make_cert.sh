#!/usr/bin/env bash
# Makes a self-signed certificate for local use: EC P-256, CN=localhost,
# valid for DNS:localhost and IP:127.0.0.1, for one year.
#
# Usage: bash scripts/make_cert.sh [DIR]     (default DIR: ./tls)
# Writes DIR/cert.pem and DIR/key.pem (mode 0600). Start the servers with
#   --tls-cert DIR/cert.pem --tls-key DIR/key.pem
# and give the client --ca-file DIR/cert.pem.
set -euo pipefail

dir="${1:-./tls}"
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 365 \
  -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -addext "keyUsage=critical,digitalSignature" \
  -addext "extendedKeyUsage=serverAuth" 2>/dev/null
chmod 600 "$dir/key.pem"
chmod 644 "$dir/cert.pem"
echo "wrote $dir/cert.pem and $dir/key.pem"
