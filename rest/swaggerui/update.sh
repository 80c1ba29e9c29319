#!/bin/sh
# update.sh re-vendors swagger-ui-dist from npm into this folder:
#
#	rest/swaggerui/update.sh 5.35.0
#
# It keeps only what the reference page at {base}/docs loads (the bundle and
# its stylesheet, gzip-compressed) and the licences, and writes VERSION. npm
# checks the tarball against the registry's integrity hash; gzip -n -9 leaves
# out the name and time stamp, so the same version gives the same bytes.
# Then run go test ./rest and commit the folder.
set -eu

version=${1:?usage: update.sh VERSION (such as 5.35.0)}
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "swagger-ui-dist@$version" >/dev/null)
tar -xzf "$tmp/swagger-ui-dist-$version.tgz" -C "$tmp"
pkg=$tmp/package
got=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json")
[ "$got" = "$version" ] || { echo "update.sh: npm gave version $got, not $version" >&2; exit 1; }

for f in swagger-ui-bundle.js swagger-ui.css; do
	gzip -n -9 -c "$pkg/$f" >"$dir/$f.gz"
done
for f in LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt; do
	cp "$pkg/$f" "$dir/$f"
done
printf '%s\n' "$version" >"$dir/VERSION"
echo "swagger-ui-dist $version vendored in $dir"
