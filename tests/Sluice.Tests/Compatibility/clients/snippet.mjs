// Prints Segment's official analytics.js snippet (@segment/snippet) for a host and a write key.
// The snippet always writes https://; a test on plain loopback http swaps that one scheme, as a
// site behind TLS would not need to.
import snippet from '@segment/snippet';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, value, i, all) => (i % 2 === 0 ? [...pairs, [value.replace(/^--/, ''), all[i + 1]]] : pairs), []));
// --load JSON: the options the snippet passes to analytics.load (as a site would set them in Segment's generator).
let text = snippet.min({ host: args.host, apiKey: args['write-key'], page: false, load: args.load ? JSON.parse(args.load) : true, useHostForBundles: true });
if (args.scheme === 'http') text = text.replaceAll(`https://${args.host}`, `http://${args.host}`);
process.stdout.write(text);
