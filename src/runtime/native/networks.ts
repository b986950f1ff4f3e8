// Networks in process mode are bookkeeping only: replicas share the host's
// network, but `up`/`down` still create and remove networks so that plans and
// output match the docker backend. projects/<p>/networks.json maps each
// network name to its Compose key, labels and definition; container mode
// hands the definitions to the engine, which makes the bridges
// (engine/container-host.ts).
import { LABEL } from '../../core/model/labels.js';
import type { NetworkSpec } from '../../core/model/types.js';
import type { ObservedNetwork } from '../../core/reconcile/observed.js';
import { projectPaths } from './home.js';
import { ensureProjectDir } from './home-trust.js';
import { readTextAsync, unlinkQuiet, writeAtomic } from './safe-fs.js';
import { compareText } from '../../core/compare.js';
import { isObject, stringLabels } from './record-shape.js';

type NetworkBook = Record<string, { key: string; labels: Record<string, string>; spec?: NetworkSpec }>;

export async function createNetwork(home: string, project: string, key: string, name: string, spec: NetworkSpec): Promise<void> {
  await updateBook(home, project, (book) => {
    if (book[name]) return;
    book[name] = { key, labels: { ...(spec.labels ?? {}), [LABEL.project]: project, [LABEL.network]: key }, spec };
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
    .sort(([a], [b]) => compareText(a, b))
    .map(([name, entry]) => ({ name, key: entry.key, labels: entry.labels }));
}

/** The definitions of the named networks, by Compose key (for a container replica's spec). */
export async function networkSpecs(home: string, project: string, names: Readonly<Record<string, string>>): Promise<Record<string, NetworkSpec>> {
  const book = await readBook(projectPaths(home, project).networks);
  const out: Record<string, NetworkSpec> = {};
  for (const [key, name] of Object.entries(names)) out[key] = book[name]?.spec ?? {};
  return out;
}

/** The book, keeping only entries that are what they claim: a damaged file must not take ps or down with it. */
async function readBook(file: string): Promise<NetworkBook> {
  const text = await readTextAsync(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '{}');
  } catch {
    return {};
  }
  const book: NetworkBook = {};
  if (!isObject(parsed)) return book;
  for (const [name, entry] of Object.entries(parsed)) {
    if (isObject(entry) && typeof entry.key === 'string' && isObject(entry.labels)) {
      const labels = stringLabels(entry.labels);
      book[name] = isObject(entry.spec) ? { key: entry.key, labels, spec: entry.spec as NetworkSpec } : { key: entry.key, labels };
    }
  }
  return book;
}

// The executor creates networks in parallel: read-modify-write of one file
// must be serialized, or two creations would each drop the other's entry.
// (Across processes, the CLI lock already serializes commands that change a project.)
const queues = new Map<string, Promise<void>>();

async function updateBook(home: string, project: string, change: (book: NetworkBook) => void): Promise<void> {
  const file = projectPaths(home, project).networks;
  const previous = queues.get(file) ?? Promise.resolve();
  const next = previous.then(async () => {
    ensureProjectDir(home, project);
    const book = await readBook(file);
    change(book);
    // An empty book is no file: removing the last network then needs no disk space.
    if (Object.keys(book).length === 0) unlinkQuiet(file);
    else writeAtomic(file, `${JSON.stringify(book, null, 2)}\n`);
  });
  const settled = next.catch(() => undefined);
  queues.set(file, settled);
  void settled.then(() => {
    if (queues.get(file) === settled) queues.delete(file);
  });
  return next;
}
