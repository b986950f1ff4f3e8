// How container replicas are wired to each other and to the machine, through
// the built CLI with real containers (`--isolation container`), Docker's
// behaviour as the reference (checked on Docker 20.10 with the same options):
// `volumes_from` (the other service's volumes at its targets, read-only with
// :ro), `network_mode` (service:X shares X's namespace and its /etc files;
// none is loopback only; host is the host's network), a service:X naming a
// service without replicas refused before anything starts, and the name
// settings (`dns` forwarded to by the embedded server, `dns_search`,
// `dns_opt`, `extra_hosts` in both forms and `host-gateway`).
// Traffic stays on 127.0.0.0/8 and the bridges these tests create.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { repoRoot, tempDir, tempProject, tug } from '../helpers/cli.js';
import { containerProject, leftovers } from '../helpers/container-cli.js';
import { describeDocker, ensureTestImage, removeDockerProject, TEST_IMAGE, uniqueDockerProject } from '../helpers/docker.js';
import { BUSYBOX, describeIsolation } from '../helpers/isolation.js';
import { ImageStore } from '../../src/runtime/images/store/image-store.js';
import { buildImage, busyboxEntries, storeFixtureImage } from '../helpers/image-fixtures.js';
import { freePort, until } from '../helpers/native-env.js';

const SLEEP = ['/bin/busybox', 'sleep', '600'];
const HTTPD = ['/bin/busybox', 'sh', '-c', 'mkdir -p /tmp/www && echo from-store > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www'];

/** The network namespace a command in the replica sees (the inode, as `readlink /proc/self/ns/net` prints it). */
function netnsOf(p: ReturnType<typeof containerProject>, service: string): string {
  return p.ok(['exec', service, '/bin/busybox', 'readlink', '/proc/self/ns/net']).trim();
}

describeIsolation('native containers: volumes_from and network_mode', () => {
  it('volumes_from gives the other service\'s volumes at its targets (read-only with :ro); network_mode service:X, none and host share what Docker shares', async () => {
    const host = await hostHttpd('from-the-host\n');
    try {
      const p = containerProject(`
services:
  store:
    command: ${JSON.stringify(HTTPD)}
    init: true
    volumes: ["data:/data", "/cache", "./bind:/bind"]
  writer:
    command: ${JSON.stringify(SLEEP)}
    init: true
    volumes_from: [store]
  reader:
    command: ${JSON.stringify(SLEEP)}
    init: true
    volumes_from: ["store:ro"]
  side:
    command: ${JSON.stringify(SLEEP)}
    init: true
    network_mode: "service:store"
  lonely:
    command: ${JSON.stringify(SLEEP)}
    init: true
    network_mode: none
  hosted:
    command: ${JSON.stringify(SLEEP)}
    init: true
    network_mode: host
volumes:
  data: {}
`, { 'bind/file': 'bound\n' });
      p.ok(['up', '-d']);

      // volumes_from: a named volume, an anonymous one and a bind, at the other service's targets.
      p.ok(['exec', 'writer', '/bin/busybox', 'sh', '-c', 'echo w > /data/by-writer && echo c > /cache/by-writer']);
      expect(p.ok(['exec', 'store', '/bin/busybox', 'cat', '/data/by-writer', '/cache/by-writer'])).toBe('w\nc\n');
      expect(p.ok(['exec', 'reader', '/bin/busybox', 'cat', '/data/by-writer', '/cache/by-writer', '/bind/file'])).toBe('w\nc\nbound\n');
      // :ro: readable, not writable, on every inherited mount.
      for (const target of ['/data', '/cache', '/bind']) {
        const write = p.run(['exec', 'reader', '/bin/busybox', 'touch', `${target}/by-reader`]);
        expect(write.code, target).not.toBe(0);
        expect(write.stderr, target).toMatch(/Read-only file system/);
      }

      // service:X: the same namespace, so the same address, and localhost reaches X's listener; X's /etc files.
      expect(netnsOf(p, 'side')).toBe(netnsOf(p, 'store'));
      const storeIp = Object.values(p.rows().find((r) => r.Service === 'store')!.Addresses!)[0]!;
      expect(p.ok(['exec', 'side', '/bin/busybox', 'ip', '-4', '-o', 'addr'])).toContain(`inet ${storeIp}/`);
      await until(() => p.run(['exec', 'side', '/bin/busybox', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/']).stdout === 'from-store\n', 'side to reach store on localhost');
      expect(p.ok(['exec', 'side', '/bin/busybox', 'cat', '/etc/resolv.conf'])).toBe(p.ok(['exec', 'store', '/bin/busybox', 'cat', '/etc/resolv.conf']));
      expect(p.ok(['exec', 'side', '/bin/busybox', 'cat', '/etc/hosts'])).toContain(`${storeIp}\t${p.project}-store-1`);
      expect(p.ok(['exec', 'side', '/bin/busybox', 'nslookup', 'writer'])).toMatch(/Address(?: 1)?:\s+\d+\.\d+\.\d+\.\d+/);

      // none: loopback only, up.
      const links = p.ok(['exec', 'lonely', '/bin/busybox', 'ip', '-o', 'link']).trim().split('\n');
      expect(links).toHaveLength(1);
      expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);

      // host: the host's own namespace; a listener on the host's 127.0.0.1 answers.
      expect(netnsOf(p, 'hosted')).toBe(readlinkSync('/proc/self/ns/net'));
      expect(p.ok(['exec', 'hosted', '/bin/busybox', 'wget', '-q', '-O', '-', `http://127.0.0.1:${host.port}/`])).toBe('from-the-host\n');

      const recorded = p.recorded();
      p.ok(['down', '-t', '1']);
      expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
    } finally {
      await host.close();
    }
  }, 120_000);

  it('network_mode service:X gets the /etc files tug wrote for X, even where X\'s image made /etc an absolute symlink that names a host directory', async () => {
    // On the host, files the joiner must never see (outside /tmp, which a container may mount over); in the image, /etc is a symlink to that absolute path.
    const outside = mkdtempSync('/var/tmp/tug-etc-elsewhere-');
    const elsewhere = join(outside, 'etc');
    mkdirSync(elsewhere);
    for (const name of ['hosts', 'resolv.conf', 'hostname']) writeFileSync(join(elsewhere, name), `host-only-${name}\n`);
    const inImage = elsewhere.slice(1);
    const entries = [
      ...['var', 'var/tmp', outside.slice(1), inImage].map((path) => ({ path, type: 'directory' as const })),
      { path: 'etc', type: 'symlink' as const, linkname: elsewhere },
      ...busyboxEntries().filter((e) => e.path !== 'etc').map((e) => (e.path.startsWith('etc/') ? { ...e, path: `${inImage}/${e.path.slice(4)}` } : e)),
    ];
    try {
      const image = await buildImage({ layers: [{ entries }], config: { Env: ['PATH=/bin'] } });
      const p = containerProject(`
services:
  store:
    image: etclink:1
    command: ${JSON.stringify(SLEEP)}
  side:
    command: ${JSON.stringify(SLEEP)}
    network_mode: "service:store"
    depends_on: [store]
`);
      await storeFixtureImage(new ImageStore(p.home), image, 'docker.io/library/etclink:1');
      p.ok(['up', '-d']);
      const storeIp = Object.values(p.rows().find((r) => r.Service === 'store')!.Addresses!)[0]!;
      const hosts = p.ok(['exec', 'side', '/bin/busybox', 'cat', '/etc/hosts']);
      expect(hosts).toContain(`${storeIp}\t${p.project}-store-1`);
      expect(hosts).not.toContain('host-only');
      expect(p.ok(['exec', 'side', '/bin/busybox', 'cat', '/etc/resolv.conf'])).toBe(p.ok(['exec', 'store', '/bin/busybox', 'cat', '/etc/resolv.conf']));
      expect(p.ok(['exec', 'side', '/bin/busybox', 'hostname']).trim()).toBe(p.ok(['exec', 'store', '/bin/busybox', 'hostname']).trim());
      const recorded = p.recorded();
      p.ok(['down', '-t', '1']);
      expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses network_mode service:X where X has no replica, before anything starts', async () => {
    const p = containerProject(`
services:
  first:
    command: ${JSON.stringify(SLEEP)}
  gone:
    command: ${JSON.stringify(SLEEP)}
    deploy: {replicas: 0}
  side:
    command: ${JSON.stringify(SLEEP)}
    network_mode: "service:gone"
`);
    const r = p.run(['up', '-d']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('network_mode: service:gone');
    expect(r.stderr).toMatch(/names a service scaled to 0/);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
    expect(p.rows()).toEqual([]);
    expect(await leftovers(p.home, p.project, p.recorded())).toEqual([]);
  }, 60_000);
});

/**
 * A DNS server on 127.x.y.z:53 that answers every A question with `address`
 * (a service's `dns:` server), in a process of its own: the CLI runs
 * synchronously, so nothing in this test's own event loop could answer.
 */
async function fakeNameserver(host: string, address: string): Promise<{ asked: () => string[]; close: () => Promise<void> }> {
  const script = `
    const { createSocket } = require('node:dgram');
    import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/runtime/native/container/dns/dns-message.js')).href)}).then(({ buildResponse, parseQuery }) => {
      const socket = createSocket('udp4');
      socket.on('message', (msg, rinfo) => {
        const query = parseQuery(msg);
        console.log(query.questions[0] ? query.questions[0].name : '');
        socket.send(buildResponse(query, { rcode: 0, addresses: [${JSON.stringify(address)}], ttl: 5 }), rinfo.port, rinfo.address);
      });
      socket.bind(53, ${JSON.stringify(host)}, () => console.log('listening'));
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await until(() => out.includes('listening\n'), 'the test nameserver to listen', 10_000, 20);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { asked: () => out.split('\n').filter((l) => l !== '' && l !== 'listening'), close: () => (child.kill('SIGKILL'), exited) };
}

/** An HTTP server on the host's 127.0.0.1, in a process of its own (busybox httpd), answering `body`. */
async function hostHttpd(body: string): Promise<{ port: number; close: () => Promise<void> }> {
  const dir = tempDir('tug-host-www-');
  writeFileSync(join(dir, 'index.html'), body);
  const port = await freePort();
  const child = spawn(BUSYBOX, ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', dir], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await until(async () => (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()).catch(() => '')) === body, 'the host httpd to answer', 10_000, 20);
  return { port, close: () => (child.kill('SIGKILL'), exited) };
}

describeIsolation('native containers: dns, dns_search, dns_opt, extra_hosts', () => {
  it('writes resolv.conf and /etc/hosts as Docker does on a user network, and the embedded server forwards other names to dns:', async () => {
    const upstream = `127.${53 + (process.pid % 100)}.${(Date.now() >> 8) % 250}.1`;
    const ns = await fakeNameserver(upstream, '10.99.88.77');
    try {
      const p = containerProject(`
services:
  app:
    command: ${JSON.stringify(SLEEP)}
    init: true
    dns: [${upstream}]
    dns_search: [corp.example]
    dns_opt: ["ndots:2", "timeout:1"]
    extra_hosts: ["colon.example:10.1.2.3", "equals.example=10.1.2.4", "gateway.example:host-gateway"]
  plain:
    command: ${JSON.stringify(SLEEP)}
    init: true
  isolated:
    command: ${JSON.stringify(SLEEP)}
    init: true
    network_mode: none
    dns: [${upstream}]
  hosted:
    command: ${JSON.stringify(SLEEP)}
    init: true
    network_mode: host
    dns: [${upstream}]
    dns_search: [corp.example]
    extra_hosts: ["colon.example:10.1.2.3"]
`);
      p.ok(['up', '-d']);
      const row = p.rows().find((r) => r.Service === 'app')!;
      const ip = Object.values(row.Addresses!)[0]!;
      const gateway = ip.replace(/\.\d+$/, '.1');

      // The embedded server stays the nameserver (the project's names resolve); dns: is where it forwards the rest.
      const resolv = p.ok(['exec', 'app', '/bin/busybox', 'cat', '/etc/resolv.conf']);
      expect(resolv.trim().split('\n')).toEqual(['search corp.example', `nameserver ${gateway}`, 'options ndots:2 timeout:1']);
      expect(p.ok(['exec', 'plain', '/bin/busybox', 'cat', '/etc/resolv.conf']).trim().split('\n')).toEqual([`nameserver ${gateway}`, 'options ndots:0']);
      const outside = p.ok(['exec', 'app', '/bin/busybox', 'nslookup', 'far.away.example.']);
      expect(outside).toContain('10.99.88.77');
      await until(() => ns.asked().includes('far.away.example'), 'the dns: server to have been asked', 5_000, 20);
      // ndots:2 would try plain.corp.example first (forwarded, and answered): ask for the absolute name.
      expect(p.ok(['exec', 'app', '/bin/busybox', 'nslookup', 'plain.'])).toContain(Object.values(p.rows().find((r) => r.Service === 'plain')!.Addresses!)[0]!);

      // Both written forms, and host-gateway as the host's address on the replica's network, before the replica's own line.
      const hosts = p.ok(['exec', 'app', '/bin/busybox', 'cat', '/etc/hosts']).trim().split('\n');
      expect(hosts.slice(-4)).toEqual(['10.1.2.3\tcolon.example', '10.1.2.4\tequals.example', `${gateway}\tgateway.example`, `${ip}\t${p.project}-app-1`]);

      // No network: no embedded server, so dns: is the nameserver itself.
      expect(p.ok(['exec', 'isolated', '/bin/busybox', 'cat', '/etc/resolv.conf']).trim()).toBe(`nameserver ${upstream}`);
      // The host's network: the host's files, with dns:, dns_search and extra_hosts applied.
      const hostResolv = p.ok(['exec', 'hosted', '/bin/busybox', 'cat', '/etc/resolv.conf']);
      expect(hostResolv).toContain(`nameserver ${upstream}\n`);
      expect(hostResolv).toContain('search corp.example\n');
      expect(hostResolv.match(/^nameserver /gm)).toHaveLength(1);
      expect(p.ok(['exec', 'hosted', '/bin/busybox', 'cat', '/etc/hosts']).trim().split('\n').at(-1)).toBe('10.1.2.3\tcolon.example');

      const recorded = p.recorded();
      p.ok(['down', '-t', '1']);
      expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
    } finally {
      await ns.close();
    }
  }, 120_000);
});

describeDocker('the reference: the same name settings on the docker backend', () => {
  it('Docker writes resolv.conf and /etc/hosts in the shape asserted above', async () => {
    await ensureTestImage();
    const dir = tempProject({
      'compose.yaml': `
services:
  app:
    command: ${JSON.stringify(SLEEP)}
    dns_search: [corp.example]
    dns_opt: ["ndots:2", "timeout:1"]
    extra_hosts: ["colon.example:10.1.2.3", "equals.example=10.1.2.4", "gateway.example:host-gateway"]
  plain:
    command: ${JSON.stringify(SLEEP)}
`,
      'docker.yaml': `services:\n  app: {image: ${TEST_IMAGE}}\n  plain: {image: ${TEST_IMAGE}}\n`,
    });
    const project = uniqueDockerProject('tugdns');
    const run = (args: string[]) => tug(['-p', project, '--backend', 'docker', '-f', 'compose.yaml', '-f', 'docker.yaml', ...args], { cwd: dir });
    try {
      expect(run(['up', '-d']).code).toBe(0);
      expect(run(['exec', 'app', '/bin/busybox', 'cat', '/etc/resolv.conf']).stdout.trim().split('\n')).toEqual(['search corp.example', 'nameserver 127.0.0.11', 'options ndots:2 timeout:1']);
      expect(run(['exec', 'plain', '/bin/busybox', 'cat', '/etc/resolv.conf']).stdout.trim().split('\n')).toEqual(['nameserver 127.0.0.11', 'options ndots:0']);
      const hosts = run(['exec', 'app', '/bin/busybox', 'cat', '/etc/hosts']).stdout.trim().split('\n');
      expect(hosts.slice(-4, -1)).toEqual(['10.1.2.3\tcolon.example', '10.1.2.4\tequals.example', expect.stringMatching(/^\d+\.\d+\.\d+\.\d+\tgateway\.example$/)]);
      expect(hosts.at(-1)).toMatch(/^\d+\.\d+\.\d+\.\d+\t[0-9a-f]{12}$/); // its own address, last
    } finally {
      run(['down', '-t', '0']);
      removeDockerProject(project);
    }
  }, 90_000);
});
