// tug's TCP port proxy (from dist/) on a random 127.0.0.1 port, relaying to
// the backends given as JSON ports; prints its port, then serves until killed.
// Usage: node bench/proxy-server.mjs '[port, ...]'
import { TcpProxy } from '../dist/runtime/native/container/proxy/tcp-proxy.js';

const ports = JSON.parse(process.argv[2]);
const proxy = await TcpProxy.open({ service: 'bench', hostIp: '127.0.0.1', candidates: [0] });
proxy.setBackends(ports.map((port) => ({ host: '127.0.0.1', port })));
process.stdout.write(`${proxy.port}\n`);
