// A keep-alive HTTP load generator for when wrk is not installed: C
// connections, each sending GET / one after another for D seconds; prints
// {rps, p50, p99} (milliseconds) as JSON. Usage: node bench/load-http.mjs PORT [C=32] [D=5]
import { connect } from 'node:net';

const [port, connections = 32, seconds = 5] = process.argv.slice(2).map(Number);
const latencies = [];
const deadline = Date.now() + seconds * 1000;
const request = Buffer.from('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');

function worker() {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    let started = 0;
    let buffered = '';
    const send = () => {
      if (Date.now() > deadline) return socket.end(resolve);
      started = process.hrtime.bigint();
      socket.write(request);
    };
    socket.on('connect', send);
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      buffered += chunk;
      // One small response per request: headers plus a Content-Length body.
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buffered)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      buffered = buffered.slice(end + 4 + length);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      send();
    });
    socket.on('error', () => resolve());
  });
}

const t0 = Date.now();
await Promise.all(Array.from({ length: connections }, worker));
const elapsed = (Date.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? null;
process.stdout.write(JSON.stringify({ rps: latencies.length / elapsed, p50: pick(0.5), p99: pick(0.99) }) + '\n');
