// Exit 0 when a URL answers 200, 1 otherwise: what `healthcheck.test` runs.
// Default: the API's /health; `node healthcheck.mjs web` checks the web page.
const target = process.argv[2] === 'web'
  ? `http://127.0.0.1:${process.env.WEB_PORT ?? 7100}/`
  : `http://127.0.0.1:${process.env.API_PORT ?? 7101}/health`;
try {
  const res = await fetch(target, { signal: AbortSignal.timeout(1500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
