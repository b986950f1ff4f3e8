// Exit 0 when the API answers /health, 1 otherwise: what `healthcheck.test` runs.
const port = Number(process.env.API_PORT ?? 7101);
try {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
