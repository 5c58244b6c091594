// Sends one run of Tracking API calls to Sluice through an official client library and prints,
// as a single JSON line, what each call was and the messageId the client generated for it, so the
// C# compatibility tests can look every call up in Sluice's event store.
//
//   node send.mjs --client segment|rudder --host http://127.0.0.1:PORT --write-key KEY --run RUNID
//
// stdout carries only that JSON line; diagnostics go to stderr. Exits non-zero if the client
// reports any delivery error.

import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';

// The client libraries log through console.log/info/debug, which would corrupt the JSON line.
console.log = console.info = console.debug = console.error;

const HISTORICAL = '2020-01-01T00:00:00.000Z';
const GIVE_UP_MS = 60_000;

const { values: args } = parseArgs({
  options: {
    client: { type: 'string' },
    host: { type: 'string' },
    'write-key': { type: 'string' },
    run: { type: 'string' },
  },
});
if (!['segment', 'rudder'].includes(args.client) || !args.host || !args['write-key'] || !args.run) {
  console.error('usage: node send.mjs --client segment|rudder --host URL --write-key KEY --run RUNID');
  process.exit(2);
}

// Ids carry the client name too, so both clients can share one run id and one source.
function plannedCalls(client, run) {
  const userId = `${client}-user-${run}`;
  const calls = [
    ['identify', { userId, traits: { email: `${run}@example.com`, plan: 'pro', address: { city: 'Berlin', zip: '10115' } } }],
    ['track', { userId, event: 'Order Completed', properties: { revenue: 42.5, products: [{ sku: 'A-1', quantity: 2 }, { sku: 'B-2', quantity: 1 }] } }],
    ['page', { userId, category: 'Docs', name: 'Getting Started', properties: { path: '/docs/start', title: 'Getting Started' } }],
    ['screen', { userId, name: 'Home', properties: { theme: 'dark' } }],
    ['group', { userId, groupId: `${client}-group-${run}`, traits: { name: 'Acme', employees: 12 } }],
    ['alias', { userId, previousId: `${client}-previous-${run}` }],
    // RudderStack only accepts a Date here; both clients serialise it as ISO-8601.
    ['track', { userId, event: 'Historical Event', timestamp: new Date(HISTORICAL) }],
    ['track', { userId, event: 'Routed Event', integrations: { All: false, Mixpanel: true, Amplitude: { session_id: 5 } } }],
  ];
  for (let index = 0; index < 40; index++) {
    calls.push(['track', { userId, event: 'Bulk Event', properties: { index } }]);
  }
  calls.push(['track', { anonymousId: `${client}-anon-${run}`, event: 'Anonymous Event' }]);
  return calls;
}

// What the test needs to find and check each call; `timestamp` only where we chose it.
function describe(client, type, params) {
  const keys = ['userId', 'anonymousId', 'event', 'name', 'groupId', 'previousId'];
  const record = { client, type };
  for (const key of keys) {
    if (params[key] !== undefined) record[key] = params[key];
  }
  if (params.timestamp) record.timestamp = params.timestamp.toISOString();
  return record;
}

// Segment hands each call's callback the delivered Context, whose event is the object that was
// serialised into the batch, so its messageId is the one on the wire.
async function sendWithSegment(calls) {
  const analytics = new SegmentAnalytics({ writeKey: args['write-key'], host: args.host, flushAt: 15 });
  const onWire = new Set();
  analytics.on('http_request', (request) => {
    for (const message of JSON.parse(request.body).batch) onWire.add(message.messageId);
  });

  const delivered = calls.map(([type, params]) => new Promise((resolve, reject) => {
    analytics[type](params, (err, ctx) => (err ? reject(err) : resolve(ctx.event.messageId)));
  }));
  const [messageIds] = await Promise.all([Promise.all(delivered), analytics.closeAndFlush({ timeout: GIVE_UP_MS })]);

  const missing = messageIds.filter((id) => !onWire.has(id));
  if (missing.length) throw new Error(`messageIds never sent in a request: ${missing.join(', ')}`);
  return messageIds;
}

// Guards the positional pairing in sendWithRudder against a library change that reorders callbacks.
function sameCall(message, type, params) {
  const fields = ['userId', 'anonymousId', 'event', 'name', 'groupId', 'previousId', 'properties'];
  return message?.type === type && fields.every((f) => JSON.stringify(message[f]) === JSON.stringify(params[f]));
}

// RudderStack returns nothing from a call and generates the messageId inside its queue. Its
// callbacks all receive the request body of their batch (gzipped, as sent), invoked in the same
// order as the messages in that batch, so the n-th callback for a body owns its n-th message.
async function sendWithRudder(calls) {
  const analytics = new RudderAnalytics(args['write-key'], {
    dataPlaneUrl: args.host,
    logLevel: 'warn',
    // Without a handler a failed batch becomes an unhandled rejection; the callbacks get the error anyway.
    errorHandler: () => {},
  });

  const batches = new WeakMap();
  function messageFor(body) {
    let entry = batches.get(body);
    if (!entry) {
      const json = Buffer.isBuffer(body) ? JSON.parse(gunzipSync(body)) : body;
      entry = { messages: json.batch, next: 0 };
      batches.set(body, entry);
    }
    return entry.messages[entry.next++];
  }

  const delivered = calls.map(([type, params]) => new Promise((resolve, reject) => {
    analytics[type](params, (err, body) => {
      if (err) return reject(err);
      const message = messageFor(body);
      if (!sameCall(message, type, params)) {
        return reject(new Error(`callback for ${type} matched a different message: ${JSON.stringify(message)}`));
      }
      resolve(message.messageId);
    });
  }));

  // One flush sends at most flushAt messages and concurrent flushes can return early, so keep
  // flushing until the in-memory queue is empty; the callbacks then say when delivery finished.
  async function flushAll() {
    do {
      await analytics.flush();
    } while (analytics.queue.length > 0);
  }
  const [messageIds] = await Promise.all([Promise.all(delivered), flushAll()]);
  return messageIds;
}

const timer = setTimeout(() => {
  console.error(`gave up: deliveries not finished after ${GIVE_UP_MS} ms`);
  process.exit(1);
}, GIVE_UP_MS + 5_000);

try {
  const calls = plannedCalls(args.client, args.run);
  const send = args.client === 'segment' ? sendWithSegment : sendWithRudder;
  const messageIds = await send(calls);
  const records = calls.map(([type, params], i) => ({ ...describe(args.client, type, params), messageId: messageIds[i] }));
  process.stdout.write(`${JSON.stringify(records)}\n`);
  clearTimeout(timer);
} catch (err) {
  console.error(`${args.client} client reported an error:`, err);
  process.exit(1);
}
