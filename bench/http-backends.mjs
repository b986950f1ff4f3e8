// N tiny HTTP servers on 127.0.0.1 (the "replicas" of the proxy benchmark),
// each answering with its own name; prints their ports as JSON, then serves
// until killed. Usage: node bench/http-backends.mjs [n=10]
import { createServer } from 'node:http';

const n = Number(process.argv[2] ?? 10);
const ports = [];
for (let i = 0; i < n; i++) {
  const body = `replica-${i + 1}\n`;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  ports.push(server.address().port);
}
process.stdout.write(JSON.stringify(ports) + '\n');
