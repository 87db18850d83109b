#!/bin/sh
# Refresh the vendored Swagger UI (the /docs page) from the npm registry:
#   scripts/refresh-swagger-ui.sh 5.36.0
# Writes src/labelwell/server/static/vendor/swagger-ui-VERSION/ with the
# browser bundle, its stylesheet and the licence files; the version the app
# serves is SWAGGER_UI_VERSION in src/labelwell/server/web/api_docs.py.
set -eu
version="${1:?usage: $0 VERSION (e.g. 5.36.0)}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/src/labelwell/server/static/vendor/swagger-ui-$version"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@$version" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
mkdir -p "$dest"
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE; do
  cp "$work/package/$f" "$dest/$f"
done
# the bundle names its source map; the map is not shipped
sed -i '/^\/\/# sourceMappingURL=/d' "$dest/swagger-ui-bundle.js"
sed -i 's|/\*# sourceMappingURL=.*\*/||' "$dest/swagger-ui.css"
echo "Swagger UI $version in $dest; set SWAGGER_UI_VERSION in src/labelwell/server/web/api_docs.py"
