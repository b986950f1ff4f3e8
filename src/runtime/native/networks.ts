// Networks in process mode are bookkeeping only: replicas share the host's
// network, but `up`/`down` still create and remove networks so that plans and
// output match the docker backend. projects/<p>/networks.json maps each
// network name to its Compose key and labels.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { LABEL } from '../../core/model/labels.js';
import type { NetworkSpec } from '../../core/model/types.js';
import type { ObservedNetwork } from '../../core/reconcile/observed.js';
import { projectPaths } from './home.js';

type NetworkBook = Record<string, { key: string; labels: Record<string, string> }>;

export async function createNetwork(home: string, project: string, key: string, name: string, spec: NetworkSpec): Promise<void> {
  await updateBook(home, project, (book) => {
    if (book[name]) return;
    book[name] = { key, labels: { ...(spec.labels ?? {}), [LABEL.project]: project, [LABEL.network]: key } };
  });
}

export async function removeNetwork(home: string, project: string, name: string): Promise<void> {
  await updateBook(home, project, (book) => {
    delete book[name];
  });
}

export async function listNetworks(home: string, project: string): Promise<ObservedNetwork[]> {
  const book = await readBook(projectPaths(home, project).networks);
  return Object.entries(book)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => ({ name, key: entry.key, labels: entry.labels }));
}

async function readBook(file: string): Promise<NetworkBook> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as NetworkBook) : {};
  } catch {
    return {};
  }
}

// The executor creates networks in parallel: read-modify-write of one file
// must be serialized, or two creations would each drop the other's entry.
// (Across processes, the CLI lock already serializes commands that change a project.)
const queues = new Map<string, Promise<void>>();

async function updateBook(home: string, project: string, change: (book: NetworkBook) => void): Promise<void> {
  const file = projectPaths(home, project).networks;
  const previous = queues.get(file) ?? Promise.resolve();
  const next = previous.then(async () => {
    await mkdir(projectPaths(home, project).dir, { recursive: true, mode: 0o700 });
    const book = await readBook(file);
    change(book);
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, `${JSON.stringify(book, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, file);
  });
  const settled = next.catch(() => undefined);
  queues.set(file, settled);
  void settled.then(() => {
    if (queues.get(file) === settled) queues.delete(file);
  });
  return next;
}
