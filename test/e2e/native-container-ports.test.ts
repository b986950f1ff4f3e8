// Published ports of container replicas through the built CLI, as a user
// meets them: a UDP port answered by the replicas behind it, a published
// range giving each replica its own host port (shown in ps and `tug port
// --index`, and refused at up with its place in the file when too small),
// and a fixed port that `tug port` and ps keep right while the service
// scales. Traffic goes to 127.0.0.1 only.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { containerProject, httpGet, leftovers, type PsJson } from '../helpers/container-cli.js';
import { describeIsolation } from '../helpers/isolation.js';
import { until } from '../helpers/native-env.js';

const HTTPD = ['/bin/busybox', 'sh', '-c', 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www'];
// A start period: a probe that runs before the replica's shell has written the page (a busy machine) must not make it unhealthy.
const READY = { test: ['CMD', '/bin/busybox', 'test', '-f', '/tmp/www/index.html'], interval: '200ms', retries: 1, start_period: '60s', start_interval: '200ms' };

/** Two replicas answering HTTP on 8080 with their hostname, healthy once they can; `port` is the ports entry (line 8, column 9). */
const webProject = (port: string) => `
services:
  web:
    command: ${JSON.stringify(HTTPD)}
    init: true
    deploy: {replicas: 2}
    ports:
      - ${port}
    healthcheck: ${JSON.stringify(READY)}
`;

/** A UDP echo that answers "<hostname>:<datagram>", healthy once bound (the host's node, read-only root; slow to start on a busy machine, hence the start period). */
const UDP_ECHO = [
  process.execPath,
  '-e',
  "const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(require('os').hostname()+':'+m,r.port,r.address));s.bind(5353,()=>require('fs').writeFileSync('/tmp/bound',''))",
];

/** Sends `text` from `socket` until an answer comes (a user retries a lost datagram); the answer. */
async function udpAsk(socket: UdpSocket, port: number, text: string): Promise<string> {
  let answer: string | undefined;
  const onMessage = (m: Buffer) => (answer = String(m));
  socket.on('message', onMessage);
  try {
    return await until(() => {
      if (answer === undefined) socket.send(text, port, '127.0.0.1');
      return answer;
    }, `an answer to "${text}" on udp ${port}`, 10_000, 200);
  } finally {
    socket.off('message', onMessage);
  }
}

async function udpClient(): Promise<UdpSocket> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return socket;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive ports free on 127.0.0.1 now. */
async function freeRange(count: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const all = await Promise.all(Array.from({ length: count }, (_, i) => bindable(base + i)));
    if (all.every(Boolean)) return base;
  }
}

const published = (row: PsJson | undefined) => row?.Publishers.map((p) => `${p.URL}:${p.PublishedPort}->${p.TargetPort}/${p.Protocol}`);

describeIsolation('published ports of native containers', () => {
  it('answers a UDP datagram from a replica behind the published port, a session per client, over two replicas', async () => {
    const p = containerProject(`
services:
  echo:
    command: ${JSON.stringify(UDP_ECHO)}
    deploy: {replicas: 2}
    ports: ["127.0.0.1::5353/udp"]
    healthcheck: {test: ["CMD", "/bin/busybox", "test", "-f", "/tmp/bound"], interval: 200ms, retries: 1, start_period: 60s, start_interval: 200ms}
`);
    p.ok(['up', '-d', '--wait']);
    const port = Number(p.ok(['port', '--protocol', 'udp', 'echo', '5353']).trim().split(':')[1]);
    expect(port).toBeGreaterThan(0);
    const [one, two] = [await udpClient(), await udpClient()];
    try {
      const first = await udpAsk(one, port, 'ping');
      const second = await udpAsk(two, port, 'pong');
      expect(new Set([first.split(':')[0], second.split(':')[0]])).toEqual(new Set([`${p.project}-echo-1`, `${p.project}-echo-2`]));
      expect(first).toMatch(/:ping$/);
      expect(second).toMatch(/:pong$/);
      // A client stays with its replica.
      expect(await udpAsk(one, port, 'again')).toBe(`${first.split(':')[0]}:again`);
    } finally {
      one.close();
      two.close();
    }
    const recorded = p.recorded();
    p.ok(['down']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 90_000);

  it('gives each replica its own port of a published range, shown in ps and tug port --index, and refuses a scale beyond the range at up with its place in the file', async () => {
    const base = await freeRange(3);
    const p = containerProject(webProject(`"127.0.0.1:${base}-${base + 2}:8080"`));
    p.ok(['up', '-d', '--wait']);
    const row = (n: number) => p.rows().find((r) => r.Name === `${p.project}-web-${n}`);
    expect(published(row(1))).toEqual([`127.0.0.1:${base}->8080/tcp`]);
    expect(published(row(2))).toEqual([`127.0.0.1:${base + 1}->8080/tcp`]);
    expect(p.ok(['port', 'web', '8080', '--index', '2']).trim()).toBe(`127.0.0.1:${base + 1}`);
    expect(await httpGet(base)).toBe(`${p.project}-web-1`);
    expect(await httpGet(base + 1)).toBe(`${p.project}-web-2`);

    const tooMany = p.run(['up', '-d', '--scale', 'web=4']);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toContain(`compose.yaml:8:9 services.web.ports[0]: service web: published range ${base}-${base + 2} has 3 ports for 4 replicas`);
    expect(p.rows().map((r) => r.Name).sort()).toEqual([`${p.project}-web-1`, `${p.project}-web-2`]);

    p.ok(['up', '-d', '--wait', '--scale', 'web=3']);
    expect(published(row(3))).toEqual([`127.0.0.1:${base + 2}->8080/tcp`]);
    expect(await httpGet(base + 2)).toBe(`${p.project}-web-3`);
    p.ok(['up', '-d', '--scale', 'web=1']);
    expect(published(row(1))).toEqual([`127.0.0.1:${base}->8080/tcp`]);
    // The removed replicas' ports are given back.
    await until(async () => (await bindable(base + 1)) && (await bindable(base + 2)), 'the ports of web-2 and web-3 to be free');
    const recorded = p.recorded();
    p.ok(['down']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 120_000);

  it('keeps one fixed published port right in tug port and ps as the service scales, and sends traffic to each replica behind it', async () => {
    const p = containerProject(webProject('"127.0.0.1::8080"'));
    p.ok(['up', '-d', '--wait']);
    const port = Number(p.ok(['port', 'web', '8080']).trim().split(':')[1]);
    const everyRow = () => p.rows().map((r) => [r.Name, published(r)] as const);
    const expectRows = (n: number) =>
      expect(everyRow().sort()).toEqual(Array.from({ length: n }, (_, i) => [`${p.project}-web-${i + 1}`, [`127.0.0.1:${port}->8080/tcp`]]));
    const answers = async (tries: number) => {
      const seen = new Set<string>();
      for (let i = 0; i < tries; i++) seen.add(await httpGet(port));
      return seen;
    };
    expectRows(2);

    p.ok(['scale', 'web=3']);
    // scale returns once web-3 runs; it takes traffic when healthy.
    await until(() => p.rows().find((r) => r.Name === `${p.project}-web-3`)?.Health === 'healthy', 'web-3 to be healthy');
    expectRows(3);
    expect(p.ok(['port', 'web', '8080', '--index', '3']).trim()).toBe(`127.0.0.1:${port}`);
    expect(await answers(6)).toEqual(new Set([1, 2, 3].map((n) => `${p.project}-web-${n}`)));

    p.ok(['scale', 'web=1']);
    expectRows(1);
    expect(p.ok(['port', 'web', '8080']).trim()).toBe(`127.0.0.1:${port}`);
    expect(p.run(['port', 'web', '8080', '--index', '2']).code).not.toBe(0);
    expect(await answers(3)).toEqual(new Set([`${p.project}-web-1`]));
    const recorded = p.recorded();
    p.ok(['down']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 120_000);
});
