// Sends N sequential A queries for NAME to SERVER:53 and prints the p50 and
// p99 round trip in microseconds as JSON. Run inside a replica's network
// namespace (ip netns exec) by bench/container-up.mjs.
// Usage: node bench/dns-client.mjs SERVER NAME [N=200]
import { createSocket } from 'node:dgram';

const [server, name, count = '200'] = process.argv.slice(2);
const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
const socket = createSocket('udp4');
const times = [];
for (let id = 1; id <= Number(count); id++) {
  const query = Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    socket.once('message', resolve);
    socket.send(query, 53, server);
  });
  times.push(Number(process.hrtime.bigint() - t0) / 1000);
}
socket.close();
times.sort((a, b) => a - b);
const at = (q) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]);
process.stdout.write(JSON.stringify({ p50Us: at(0.5), p99Us: at(0.99), samples: times.length }) + '\n');
