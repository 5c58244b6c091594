#!/usr/bin/env bash
# Refreshes the analytics.js files Sluice serves from the npm package @segment/analytics-next at the
# version in VERSION (the one place the version is written): its standalone build and the chunks it
# loads lazily, with the package's license. Run it after changing VERSION, then commit the result.
set -euo pipefail
cd "$(dirname "$0")"
version="$(tr -d '[:space:]' < VERSION)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@segment/analytics-next@$version" >/dev/null && tar xzf segment-analytics-next-*.tgz)
rm -f ./*.js LICENSE.MD
cp "$work/package/LICENSE.MD" .
cp "$work/package/dist/umd/standalone.js" .
# The standalone build loads these by name from <cdn>/analytics-next/bundles/.
cp "$work"/package/dist/umd/*.bundle.*.js .
rm -f ./*.map ./*.gz
ls -l
