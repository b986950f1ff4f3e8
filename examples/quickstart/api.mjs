// A tiny JSON API: counts visits and answers /health for the health check.
import { createServer } from 'node:http';

const port = Number(process.env.API_PORT ?? 7101);
let visits = 0;

createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  visits += 1;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ visits, replica: process.env.TUG_REPLICA ?? null }) + '\n');
}).listen(port, '127.0.0.1', () => console.log(`api listening on 127.0.0.1:${port}`));

process.on('SIGTERM', () => {
  console.log('api shutting down');
  process.exit(0);
});
