// The embedded DNS server's codec, name table and answers: pure, from literal
// messages (the server's `answer` runs without sockets for local names).
import { describe, expect, it } from 'vitest';
import { buildQuery, buildResponse, DnsFormatError, parseAnswer, parseQuery, RCODE, TYPE_AAAA } from '../../src/runtime/native/container/dns/dns-message.js';
import { DnsServer } from '../../src/runtime/native/container/dns/dns-server.js';
import { NameTable, type Endpoint } from '../../src/runtime/native/container/dns/name-table.js';
import { parseCidr } from '../../src/runtime/native/container/network/ipam.js';
import { specLiteral } from '../helpers/replica-spec.js';

describe('DNS messages', () => {
  it('reads a query and writes an answer with A records', () => {
    const query = parseQuery(buildQuery(0x1234, 'Web.'));
    expect(query).toEqual({ id: 0x1234, opcode: 0, recursionDesired: true, questions: [{ name: 'web', type: 1, class: 1 }] });
    const reply = buildResponse(query, { rcode: RCODE.noError, addresses: ['10.208.0.2', '10.208.0.3'], ttl: 0, authoritative: true });
    expect(parseAnswer(reply)).toEqual({ id: 0x1234, rcode: 0, addresses: ['10.208.0.2', '10.208.0.3'] });
    // QR, AA, RD, RA set; two answers after the question.
    expect(reply.readUInt16BE(2)).toBe(0x8580);
    expect(reply.readUInt16BE(6)).toBe(2);
  });

  it('answers NODATA for AAAA, and carries NXDOMAIN', () => {
    const aaaa = parseQuery(buildQuery(7, 'web', TYPE_AAAA));
    expect(parseAnswer(buildResponse(aaaa, { rcode: 0, addresses: ['10.0.0.1'] }))).toEqual({ id: 7, rcode: 0, addresses: [] });
    expect(parseAnswer(buildResponse(aaaa, { rcode: RCODE.nxDomain })).rcode).toBe(3);
  });

  it('follows compression pointers and refuses loops and truncation', () => {
    // Header + question "a.b" + a second question pointing at offset 12.
    const buf = Buffer.concat([
      Buffer.from([0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0]),
      Buffer.from([1, 97, 1, 98, 0, 0, 1, 0, 1]),
      Buffer.from([0xc0, 12, 0, 1, 0, 1]),
    ]);
    expect(parseQuery(buf).questions.map((q) => q.name)).toEqual(['a.b', 'a.b']);
    const loop = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect(() => parseQuery(loop)).toThrow(DnsFormatError);
    expect(() => parseQuery(Buffer.from([0, 1, 1]))).toThrow(DnsFormatError);
  });
});

const ep = (replica: string, service: string, address: string, extra: Partial<Endpoint> = {}): Endpoint => ({
  network: 'shop_default',
  replica,
  service,
  address,
  aliases: [],
  links: {},
  oneoff: false,
  ...extra,
});

describe('the name table', () => {
  it('resolves a service to all its running replicas, a replica by name, aliases and link aliases', () => {
    const t = new NameTable();
    t.set(ep('shop-db-1', 'db', '10.0.0.2', { aliases: ['postgres'] }));
    t.set(ep('shop-db-2', 'db', '10.0.0.3', { aliases: ['postgres'] }));
    t.set(ep('shop-web-1', 'web', '10.0.0.4', { links: { database: 'db' } }));
    t.set(ep('shop-web-run-x', 'web', '10.0.0.9', { oneoff: true }));
    t.set(ep('other-db-1', 'db', '10.9.0.2', { network: 'other' }));
    const web = t.client('shop_default', '10.0.0.4');
    expect(t.resolve('shop_default', 'db', web)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(t.resolve('shop_default', 'DB.', web)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(t.resolve('shop_default', 'shop-db-2', web)).toEqual(['10.0.0.3']);
    expect(t.resolve('shop_default', 'postgres', web)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(t.resolve('shop_default', 'database', web)).toEqual(['10.0.0.2', '10.0.0.3']);
    // The link alias is the linking replica's own (others have it forwarded); a one-off answers to its name only.
    expect(t.resolve('shop_default', 'database', t.client('shop_default', '10.0.0.2'))).toBeUndefined();
    expect(t.resolve('shop_default', 'web', web)).toEqual(['10.0.0.4']);
    expect(t.resolve('shop_default', 'shop-web-run-x', web)).toEqual(['10.0.0.9']);
    expect(t.resolve('shop_default', 'example.com', web)).toBeUndefined();
    t.removeReplica('shop-db-1');
    expect(t.resolve('shop_default', 'db', web)).toEqual(['10.0.0.3']);
    // A linked service with no replica up is answered empty, not sent to the host's resolvers.
    t.removeReplica('shop-db-2');
    expect(t.resolve('shop_default', 'database', web)).toEqual([]);
  });
});

describe('the DNS server\'s answers', () => {
  const network = { name: 'shop_default', gateway: '10.0.0.1', subnet: parseCidr('10.0.0.0/24')!, internal: false };
  const table = new NameTable();
  table.set(ep('shop-db-1', 'db', '10.0.0.2'));
  table.set(ep('shop-db-2', 'db', '10.0.0.3'));
  const server = new DnsServer({ table, upstreams: [], shuffle: (a) => a.reverse() });

  it('answers project names with every replica, shuffled, TTL 0', async () => {
    const reply = await server.answer(network, buildQuery(1, 'db'), '10.0.0.7', 'udp');
    expect(parseAnswer(reply!)).toEqual({ id: 1, rcode: 0, addresses: ['10.0.0.3', '10.0.0.2'] });
  });

  it('refuses clients outside the network, and fails other names when nothing can be asked', async () => {
    expect(parseAnswer((await server.answer(network, buildQuery(2, 'db'), '192.0.2.9', 'udp'))!).rcode).toBe(RCODE.refused);
    expect(parseAnswer((await server.answer(network, buildQuery(3, 'example.com'), '10.0.0.7', 'udp'))!).rcode).toBe(RCODE.servFail);
    expect(parseAnswer((await server.answer({ ...network, internal: true }, buildQuery(4, 'example.com'), '10.0.0.7', 'udp'))!).rcode).toBe(RCODE.nxDomain);
    expect(await server.answer(network, Buffer.from([1]), '10.0.0.7', 'udp')).toBeUndefined();
  });
});

describe('replica endpoints', () => {
  it('one per network, with that network\'s aliases, the links and the dns servers', async () => {
    const { replicaEndpoints } = await import('../../src/runtime/native/container/dns/endpoints.js');
    const spec = specLiteral({
      project: 'shop',
      service: 'web',
      service_spec: { networks: { front: { aliases: ['www'] }, back: null }, links: ['db', 'cache:redis'], dns: ['10.9.9.9'] },
      projectDir: '/srv/shop',
      networkNames: { front: 'shop_front', back: 'shop_back' },
    });
    expect(replicaEndpoints(spec, [{ network: 'shop_front', key: 'front', address: '10.0.0.2' }, { network: 'shop_back', key: 'back', address: '10.1.0.2' }])).toEqual([
      { network: 'shop_front', replica: 'shop-web-1', service: 'web', address: '10.0.0.2', aliases: ['www'], links: { db: 'db', redis: 'cache' }, oneoff: false, dns: ['10.9.9.9'] },
      { network: 'shop_back', replica: 'shop-web-1', service: 'web', address: '10.1.0.2', aliases: [], links: { db: 'db', redis: 'cache' }, oneoff: false, dns: ['10.9.9.9'] },
    ]);
  });
});
