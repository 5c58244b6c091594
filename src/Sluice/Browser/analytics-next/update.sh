#!/usr/bin/env bash
# Refreshes the analytics.js files Sluice serves from the npm package @segment/analytics-next at the
# version in VERSION (the one place the version is written): its standalone build and the chunks it
# loads lazily, with the package's license. It also renders Segment's snippet (@segment/snippet, at
# SNIPPET_VERSION below, the version the browser tests install) with placeholders for the host and the
# write key, for the web app to show. Run it after changing a version, then commit the result.
set -euo pipefail
cd "$(dirname "$0")"
version="$(tr -d '[:space:]' < VERSION)"
SNIPPET_VERSION=5.2.1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@segment/analytics-next@$version" >/dev/null && tar xzf segment-analytics-next-*.tgz)
rm -f ./*.js LICENSE.MD
cp "$work/package/LICENSE.MD" .
cp "$work/package/dist/umd/standalone.js" .
# The standalone build loads these by name from <cdn>/analytics-next/bundles/.
cp "$work"/package/dist/umd/*.bundle.*.js .
rm -f ./*.map ./*.gz
(cd "$work" && npm install --silent --no-audit --no-fund "@segment/snippet@$SNIPPET_VERSION" >/dev/null \
  && node -e "process.stdout.write(require('@segment/snippet').min({ host: '{{HOST}}', apiKey: '{{WRITE_KEY}}', page: true, useHostForBundles: true }))") > snippet.template.js
ls -l
