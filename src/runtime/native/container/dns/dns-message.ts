// The small part of the DNS wire format (RFC 1035) the embedded server needs:
// read a query's header and questions, and write an answer with A records.
// Pure. Forwarded queries are relayed byte for byte and never parsed here
// beyond their id.

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;

export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;

export interface DnsQuestion {
  /** Lower-case, without the trailing dot. */
  name: string;
  type: number;
  class: number;
}

export interface DnsQuery {
  id: number;
  /** The header's opcode (0 = standard query). */
  opcode: number;
  recursionDesired: boolean;
  questions: DnsQuestion[];
}

export class DnsFormatError extends Error {}

const MAX_POINTERS = 16;

/** Reads a (possibly compressed) name at `offset`; returns it and the offset after it. */
function readName(buf: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let at = offset;
  let next = -1;
  for (let jumps = 0; ; ) {
    if (at >= buf.length) throw new DnsFormatError('name runs past the message');
    const len = buf[at]!;
    if (len === 0) {
      if (next < 0) next = at + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= buf.length || ++jumps > MAX_POINTERS) throw new DnsFormatError('bad compression pointer');
      if (next < 0) next = at + 2;
      at = ((len & 0x3f) << 8) | buf[at + 1]!;
      continue;
    }
    if ((len & 0xc0) !== 0 || at + 1 + len > buf.length) throw new DnsFormatError('bad label');
    labels.push(buf.toString('latin1', at + 1, at + 1 + len));
    at += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), next };
}

export function parseQuery(buf: Buffer): DnsQuery {
  if (buf.length < 12) throw new DnsFormatError('message shorter than its header');
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) throw new DnsFormatError('a response, not a query');
  const count = buf.readUInt16BE(4);
  const questions: DnsQuestion[] = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    const { name, next } = readName(buf, at);
    if (next + 4 > buf.length) throw new DnsFormatError('question runs past the message');
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    at = next + 4;
  }
  return { id: buf.readUInt16BE(0), opcode: (flags >> 11) & 0xf, recursionDesired: (flags & 0x0100) !== 0, questions };
}

/** The id of any message (for matching forwarded answers), or undefined when too short. */
export function messageId(buf: Buffer): number | undefined {
  return buf.length >= 2 ? buf.readUInt16BE(0) : undefined;
}

function encodeName(name: string): Buffer {
  const parts = name === '' ? [] : name.split('.');
  const bufs = parts.map((label) => {
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length === 0 || bytes.length > 63) throw new DnsFormatError(`label "${label}" cannot be encoded`);
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
  return Buffer.concat([...bufs, Buffer.from([0])]);
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

export interface AnswerOptions {
  rcode: number;
  /** IPv4 addresses for an A question (ignored for other types). */
  addresses?: readonly string[];
  ttl?: number;
  /** Set for names the server owns (local answers). */
  authoritative?: boolean;
}

/** A response to `query`: its first question echoed, A records for `addresses`. */
export function buildResponse(query: DnsQuery, opts: AnswerOptions): Buffer {
  const question = query.questions[0];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  let flags = 0x8000 | ((query.opcode & 0xf) << 11) | 0x0080 | (opts.rcode & 0xf);
  if (opts.authoritative) flags |= 0x0400;
  if (query.recursionDesired) flags |= 0x0100;
  header.writeUInt16BE(flags, 2);
  const parts: Buffer[] = [header];
  if (!question) return header;
  header.writeUInt16BE(1, 4);
  const qname = encodeName(question.name);
  const qtail = Buffer.alloc(4);
  qtail.writeUInt16BE(question.type, 0);
  qtail.writeUInt16BE(question.class, 2);
  parts.push(qname, qtail);
  const wantsA = question.type === TYPE_A || question.type === TYPE_ANY;
  const addresses = wantsA && opts.rcode === RCODE.noError ? (opts.addresses ?? []) : [];
  header.writeUInt16BE(addresses.length, 6);
  for (const address of addresses) {
    const rr = Buffer.alloc(12);
    // A pointer to the question's name at offset 12.
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(opts.ttl ?? 0, 6);
    rr.writeUInt16BE(4, 10);
    parts.push(rr, ipv4Bytes(address));
  }
  return Buffer.concat(parts);
}

/** A query for `name` (tests and benchmarks use it to ask the server). */
export function buildQuery(id: number, name: string, type = TYPE_A): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, encodeName(name.replace(/\.$/, '')), tail]);
}

/** The rcode and A-record addresses of a response (tests and benchmarks read answers with it). */
export function parseAnswer(buf: Buffer): { id: number; rcode: number; addresses: string[] } {
  const id = buf.readUInt16BE(0);
  const rcode = buf.readUInt16BE(2) & 0xf;
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let at = 12;
  for (let i = 0; i < qd; i++) at = readName(buf, at).next + 4;
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    at = readName(buf, at).next;
    const type = buf.readUInt16BE(at);
    const len = buf.readUInt16BE(at + 8);
    if (type === TYPE_A && len === 4) addresses.push([...buf.subarray(at + 10, at + 14)].join('.'));
    at += 10 + len;
  }
  return { id, rcode, addresses };
}
