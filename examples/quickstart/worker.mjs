// A background worker: polls the API and appends what it saw to a file in its volume.
import { appendFileSync, mkdirSync } from 'node:fs';

const api = process.env.API_URL ?? 'http://127.0.0.1:7101';
const every = Number(process.env.INTERVAL_MS ?? 2000);
const dataDir = process.env.TUG_VOLUME_WORKER_DATA ?? '/data';

const tick = async () => {
  try {
    const data = await (await fetch(api)).json();
    console.log(`worker saw ${data.visits} visits`);
    try {
      mkdirSync(dataDir, { recursive: true });
      appendFileSync(`${dataDir}/seen.log`, `${new Date().toISOString()} ${data.visits}\n`);
    } catch {
      // The volume may not be writable on every backend; the log line is enough.
    }
  } catch (err) {
    console.log(`worker: api not reachable (${err.message})`);
  }
};

setInterval(tick, every);
tick();
process.on('SIGTERM', () => process.exit(0));
