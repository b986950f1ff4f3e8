// The front: a page that shows what the API says. Starts only once the API is healthy.
import { createServer } from 'node:http';

const port = Number(process.env.WEB_PORT ?? 7100);
const api = process.env.API_URL ?? 'http://127.0.0.1:7101';

createServer(async (_req, res) => {
  try {
    const data = await (await fetch(api)).json();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`Hello from tug! The API has been visited ${data.visits} times.\n`);
  } catch (err) {
    res.writeHead(502, { 'content-type': 'text/plain' }).end(`API unavailable: ${err.message}\n`);
  }
}).listen(port, '127.0.0.1', () => console.log(`web listening on http://127.0.0.1:${port}`));

process.on('SIGTERM', () => process.exit(0));
