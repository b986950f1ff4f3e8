// The engine's TCP forwarder under abuse, with a real engine, a real replica
// and real client sockets on 127.0.0.1: more idle clients than the engine has
// descriptors for must not stop it from answering or starting replicas, and
// idle connections are closed after the (configurable) idle timeout.
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { engineHarnesses, type EngineHarness, engineMain, freePort, logLines, replicaSpec, sleep, waitFor, type EngineClient } from '../helpers/native-engine.js';

const PRLIMIT = '/usr/bin/prlimit';
const supported = process.platform === 'linux' && existsSync(engineMain);
if (!supported) console.warn(`skipping port forwarding tests: needs Linux and a build (${engineMain})`);
if (supported && !existsSync(PRLIMIT)) console.warn(`skipping the descriptor-exhaustion test: needs ${PRLIMIT} (util-linux)`);

let sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets) s.destroy();
  sockets = [];
});
const harness = engineHarnesses('npf');

/** An echo server replica on `target`, published on `published`. */
async function echoReplica(h: EngineHarness, client: EngineClient, service: string): Promise<number> {
  const [target, published] = [await freePort(), await freePort()];
  const server = `require('net').createServer((s) => s.pipe(s)).listen(${target}, '127.0.0.1', () => console.log('up'))`;
  const spec = replicaSpec(h.project, service, {
    command: [process.execPath, '-e', server],
    ports: [{ mode: 'ingress', target, published: String(published), protocol: 'tcp', host_ip: '127.0.0.1' }],
  });
  await client.call('create', { spec });
  await client.call('start', { id: spec.name });
  await waitFor(() => logLines(h.home, h.project, spec.name as string).some((l) => l.l === 'up'), 10_000, `${service} to listen`);
  return published;
}

interface Tracked {
  socket: Socket;
  closed: boolean;
}

function open(port: number): Promise<Tracked> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    const tracked: Tracked = { socket, closed: false };
    socket.on('close', () => (tracked.closed = true));
    socket.once('connect', () => resolve(tracked));
    socket.once('error', (err) => (tracked.closed ? undefined : reject(err)));
  });
}

function echoes(t: Tracked, text: string): Promise<boolean> {
  return new Promise((resolve) => {
    let got = '';
    const settle = (echoed: boolean): void => {
      t.socket.off('data', onData);
      t.socket.off('close', onClose);
      resolve(echoed);
    };
    const onData = (d: Buffer): void => {
      got += d.toString();
      if (got === text) settle(true);
    };
    const onClose = (): void => settle(false);
    t.socket.on('data', onData);
    t.socket.once('close', onClose);
    t.socket.write(text);
  });
}

describe.skipIf(!supported)('port forwarding limits', () => {
  it.skipIf(!existsSync(PRLIMIT))('keeps the engine serving with more idle clients than it has descriptors for', async () => {
    const h = harness();
    await h.start({}, [PRLIMIT, '--nofile=256:256']); // the cap becomes 256 / 4 = 64 connections
    const client = await h.client();
    const published = await echoReplica(h, client, 'echo');
    const clients: Tracked[] = [];
    for (let i = 0; i < 300; i++) clients.push(await open(published));
    // The engine refuses the rest by closing them: wait for those closes, however slow a loaded machine makes them.
    const stillOpen = () => clients.filter((c) => !c.closed);
    await waitFor(() => stillOpen().length <= 64, 10_000, 'the connections past the cap to be closed');
    const held = stillOpen();
    expect(held.length).toBe(64);
    expect(await echoes(held[0]!, 'still relayed')).toBe(true);

    const fresh = await h.client(); // a new connection to the engine's own socket
    expect((await fresh.call('ping')).project).toBe(h.project);
    const other = replicaSpec(h.project, 'other', { command: ['sleep', '60'] });
    await fresh.call('create', { spec: other });
    expect((await fresh.call('start', { id: other.name })).state).toBe('running');

    // Slots come back when clients leave: a new client is relayed as soon as the engine has seen them go.
    for (const c of held.slice(0, 10)) c.socket.destroy();
    const relayed = await waitFor(async () => echoes(await open(published), 'after some left'), 10_000, 'a client to be relayed in a freed slot');
    expect(relayed).toBe(true);
  });

  it('closes connections idle for TUG_FORWARD_IDLE_MS, and keeps busy ones', async () => {
    const h = harness();
    await h.start({ TUG_FORWARD_IDLE_MS: '400' });
    const client = await h.client();
    const published = await echoReplica(h, client, 'echo');
    const idle = await open(published);
    const busy = await open(published);
    const started = Date.now();
    while (Date.now() - started < 1_200) {
      expect(await echoes(busy, 'tick')).toBe(true);
      await sleep(100);
    }
    expect(idle.closed).toBe(true);
    expect(busy.closed).toBe(false);
  });
});
