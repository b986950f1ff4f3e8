// The example's web service: serves the message from message.mjs. Edit that
// file while `tug watch` runs and the next request gets the new text.
import { createServer } from 'node:http';
import { message } from './message.mjs';

const port = Number(process.env.PORT ?? 7200);
createServer((_req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(`${message}\n`);
}).listen(port, '127.0.0.1', () => console.log(`serving on http://127.0.0.1:${port}/`));
