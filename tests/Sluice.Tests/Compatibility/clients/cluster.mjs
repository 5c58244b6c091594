// Sends tracks for several users to several Sluice nodes with Segment's official Node client, one
// client per node, each user's events one after another (the next is sent once the last was answered)
// and spread round-robin over the nodes. Prints, as one JSON line at the end, every call the client
// reports delivered (acknowledged): messageId, userId, seq. Calls that failed after the client's own
// retries (a node was down) are left out: nothing is promised for them.
//
//   node cluster.mjs --hosts http://a,http://b,http://c --write-key KEY --run RUNID --users 20 --events 30 [--pause-ms 20]
//
// stdout carries only that JSON line; diagnostics go to stderr.

import { parseArgs } from 'node:util';
import { Analytics } from '@segment/analytics-node';

console.log = console.info = console.debug = console.error;

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string' },
    'write-key': { type: 'string' },
    run: { type: 'string' },
    users: { type: 'string', default: '20' },
    events: { type: 'string', default: '30' },
    'pause-ms': { type: 'string', default: '20' },
  },
});
if (!args.hosts || !args['write-key'] || !args.run) {
  console.error('usage: node cluster.mjs --hosts URL,URL --write-key KEY --run RUNID [--users N] [--events N] [--pause-ms N]');
  process.exit(2);
}

const hosts = args.hosts.split(',');
// Small batches and few retries: a call to a node that is down fails fast instead of waiting it out.
const clients = hosts.map((host) => new Analytics({ writeKey: args['write-key'], host, flushAt: 5, flushInterval: 50, maxRetries: 2, httpRequestTimeout: 5_000 }));
const users = Number(args.users);
const events = Number(args.events);
const pause = Number(args['pause-ms']);
const acknowledged = [];
let failed = 0;
let next = 0;

function send(client, params) {
  return new Promise((resolve) => {
    client.track(params, (err) => resolve(!err));
  });
}

async function runUser(user) {
  const userId = `${args.run}-user-${user}`;
  for (let seq = 0; seq < events; seq++) {
    const messageId = `${args.run}-${user}-${seq}`;
    const client = clients[next++ % clients.length];
    const ok = await send(client, { userId, event: 'Cluster Event', messageId, properties: { seq } });
    if (ok) acknowledged.push({ messageId, userId, seq });
    else failed++;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

await Promise.all(Array.from({ length: users }, (_, user) => runUser(user)));
await Promise.all(clients.map((client) => client.closeAndFlush({ timeout: 30_000 })));
console.error(`acknowledged ${acknowledged.length}, failed ${failed}`);
process.stdout.write(JSON.stringify(acknowledged) + '\n');
