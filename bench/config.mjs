// `tug config` on a generated 1,000-service project, side by side with
// docker-compose v1 (Debian's docker-compose package) when it is installed.
// Usage: node bench/config.mjs [services=1000] [runs=5]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, hasCommand, timeCommand, tugBinPath, writeResult } from './lib.mjs';

const count = Number(process.argv[2] ?? 1000);
const runs = Number(process.argv[3] ?? 5);
const root = fileURLToPath(new URL('..', import.meta.url));
const tug = tugBinPath;

function generate(n) {
  const lines = ['services:'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  svc${i}:`,
      `    image: busybox:\${TAG:-latest}`,
      `    command: ["sleep", "1000"]`,
      `    ports:`,
      `      - "\${HOST_IP:-127.0.0.1}:${10000 + i}:80"`,
      `    environment:`,
      `      INDEX: "${i}"`,
      `      LEVEL: \${LOG_LEVEL:-info}`,
      `      URL: http://svc${i}.\${DOMAIN:-local}:80`,
    );
    if (i > 0) lines.push(`    depends_on:`, `      - svc${i - 1}`);
  }
  return lines.join('\n') + '\n';
}

const dir = mkdtempSync(join(tmpdir(), 'tug-bench-config-'));
writeFileSync(join(dir, 'compose.yaml'), generate(count));
const env = { NO_COLOR: '1', COMPOSE_PROJECT_NAME: 'bench' };
const results = {
  services: count,
  runs,
  tug: {
    configQuiet: timeCommand('node', [tug, 'config', '-q'], { runs, cwd: dir, env }),
    configJson: timeCommand('node', [tug, 'config', '--format', 'json'], { runs, cwd: dir, env }),
    version: timeCommand('node', [tug, '--version'], { runs, cwd: dir, env }),
  },
  node: { empty: timeCommand('node', ['-e', '0'], { runs, cwd: dir }) },
};
if (hasCommand('docker-compose')) {
  results.dockerComposeV1 = {
    configQuiet: timeCommand('docker-compose', ['config', '-q'], { runs, cwd: dir, env }),
    config: timeCommand('docker-compose', ['config'], { runs, cwd: dir, env }),
  };
}
rmSync(dir, { recursive: true, force: true });

console.log(`tug config on ${count} services, median of ${runs} runs`);
console.log(`  tug config -q              ${fmt(results.tug.configQuiet.median)}   (target < 300 ms)`);
console.log(`  tug config --format json   ${fmt(results.tug.configJson.median)}`);
console.log(`  tug --version              ${fmt(results.tug.version.median)}   (target < 80 ms)`);
console.log(`  node -e 0 (floor)          ${fmt(results.node.empty.median)}`);
if (results.dockerComposeV1) {
  const peer = results.dockerComposeV1;
  console.log(`  docker-compose v1 config -q ${fmt(peer.configQuiet.median)}${peer.configQuiet.failure ? ` (failed: ${peer.configQuiet.failure})` : ''}`);
  console.log(`  docker-compose v1 config    ${fmt(peer.config.median)}${peer.config.failure ? ` (failed: ${peer.config.failure})` : ''}`);
  if (peer.configQuiet.median && results.tug.configQuiet.median) {
    console.log(`  ratio (docker-compose / tug, config -q): ${(peer.configQuiet.median / results.tug.configQuiet.median).toFixed(1)}x`);
  }
} else {
  console.log('  docker-compose v1: not installed (apt-get install -y docker-compose), peer skipped');
}
for (const [name, r] of Object.entries(results.tug)) if (r.failure) console.log(`  tug ${name} FAILED: ${r.failure}`);
writeResult(join(root, 'bench/results/config.json'), results);
