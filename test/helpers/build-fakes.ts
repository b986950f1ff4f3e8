// In-memory stand-ins for the parts tug's builder plugs into but that are built
// elsewhere (the container runtime's StepExecutor, the image store): enough to
// drive the real builder end to end. The layer store is real where it matters
// to the builder: layers are the builder's own tar streams, unpacked by the
// system's tar into one directory per diff ID, and views read those directories.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../../src/core/model/hash.js';
import type { SourceFile } from '../../src/core/build/copy-layout.js';
import type { ImageConfig } from '../../src/core/build/image-config.js';
import type { ImageStoreWriter, LayerDiff, LayerRecord, LayerStore, ResolvedImage, RootfsView, RunRequest, RunResult, Rootfs, StepExecutor } from '../../src/runtime/build/interfaces.js';
import { packBuffer, packStream, type PackEntry } from '../../src/runtime/tar/pack.js';

export class FakeLayerStore implements LayerStore {
  readonly root = mkdtempSync(join(tmpdir(), 'tug-build-layers-'));
  readonly records = new Map<string, LayerRecord>();
  readonly tars = new Map<string, Buffer>();
  commits = 0;
  openViews = 0;

  async lookup(key: string): Promise<LayerRecord | undefined> {
    return this.records.get(key);
  }

  async adopt(key: string, step: { diffId?: string; created: string }): Promise<LayerRecord | undefined> {
    if (step.diffId !== undefined && !this.tars.has(step.diffId)) return undefined;
    const record: LayerRecord = { key, created: step.created, ...(step.diffId !== undefined && { diffId: step.diffId }) };
    this.records.set(key, record);
    return record;
  }

  async commit(key: string, diff: LayerDiff, created: string): Promise<LayerRecord> {
    this.commits++;
    if (diff.kind === 'upperdir') throw new Error('the fake store takes tar diffs only');
    const record: LayerRecord = { key, created };
    if (diff.kind === 'tar') {
      const chunks: Buffer[] = [];
      for await (const chunk of diff.open()) chunks.push(chunk as Buffer);
      const tar = Buffer.concat(chunks);
      record.diffId = await this.addLayer(tar);
    }
    this.records.set(key, record);
    return record;
  }

  /** Stores a layer tar (also used to make base images) and returns its diff ID. */
  async addLayer(tar: Buffer): Promise<string> {
    const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    const dir = this.layerDir(diffId);
    if (!this.tars.has(diffId)) {
      mkdirSync(dir, { recursive: true });
      const r = spawnSync('tar', ['-x', '-p', '--same-owner', '-f', '-', '-C', dir], { input: tar });
      if (r.status !== 0) throw new Error(`tar -x failed: ${r.stderr.toString()}`);
      this.tars.set(diffId, tar);
    }
    return diffId;
  }

  layerDir(diffId: string): string {
    return join(this.root, diffId.replace(':', '-'));
  }

  async view(rootfs: Rootfs): Promise<RootfsView> {
    this.openViews++;
    const dirs = [...rootfs.diffIds].reverse().map((d) => this.layerDir(d));
    const statIn = (dir: string, path: string, rel: string): SourceFile | undefined => {
      const full = join(dir, path);
      let st;
      try {
        st = lstatSync(full);
      } catch {
        return undefined;
      }
      const type = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'file';
      const file: SourceFile = { rel, path: full, type, mode: st.mode & 0o7777, size: type === 'file' ? st.size : 0, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
      if (type === 'symlink') file.linkname = readlinkSync(full);
      return file;
    };
    return {
      stat: async (path) => {
        if (path === '/') return { rel: '', type: 'directory', mode: 0o755, size: 0, uid: 0, gid: 0, mtime: 0 };
        for (const dir of dirs) {
          const f = statIn(dir, path, path);
          if (f) return f;
        }
        return undefined;
      },
      list: async (path) => {
        const seen = new Map<string, SourceFile>();
        for (const dir of dirs) {
          const walk = (rel: string): void => {
            let names: string[];
            try {
              names = readdirSync(join(dir, path, rel));
            } catch {
              return;
            }
            for (const name of names) {
              const childRel = rel === '' ? name : `${rel}/${name}`;
              const f = statIn(dir, join(path, childRel), childRel)!;
              if (!seen.has(childRel)) seen.set(childRel, f);
              if (f.type === 'directory') walk(childRel);
            }
          };
          walk('');
        }
        return [...seen.values()].sort((a, b) => (a.rel < b.rel ? -1 : 1));
      },
      readFile: async (path) => {
        for (const dir of dirs) {
          try {
            return readFileSync(join(dir, path));
          } catch {
            continue;
          }
        }
        return undefined;
      },
      release: async () => {
        this.openViews--;
      },
    };
  }

  /** Every file of an image's rootfs, merged, with mode and owner: `path mode uid:gid [content]`. */
  async describe(rootfs: Rootfs): Promise<Map<string, SourceFile & { content?: string }>> {
    const view = await this.view(rootfs);
    const out = new Map<string, SourceFile & { content?: string }>();
    for (const f of await view.list('/')) out.set(f.rel, f.type === 'file' ? { ...f, content: readFileSync(f.path!, 'utf8') } : f);
    await view.release();
    return out;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export class FakeImageStore implements ImageStoreWriter {
  readonly images = new Map<string, ImageConfig>();
  readonly tags = new Map<string, string>();
  resolved: string[] = [];

  constructor(private readonly layers: FakeLayerStore) {}

  /** A base image made of `files`, with `config`. */
  async addBase(ref: string, files: PackEntry[], config: ImageConfig['config'] = {}): Promise<string> {
    const diffId = await this.layers.addLayer(await packBuffer(files));
    const image: ImageConfig = { architecture: 'amd64', os: 'linux', created: '2020-01-01T00:00:00Z', config, rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created: '2020-01-01T00:00:00Z', created_by: 'base' }] };
    const id = await this.commitImage(image);
    this.tags.set(ref, id);
    return id;
  }

  async resolveImage(ref: string): Promise<ResolvedImage> {
    this.resolved.push(ref);
    const id = this.tags.get(ref);
    if (!id) throw new Error(`no image ${ref}`);
    return { id, config: structuredClone(this.images.get(id)!) };
  }

  async localImage(ref: string): Promise<ResolvedImage | undefined> {
    const id = this.tags.get(ref);
    return id ? { id, config: structuredClone(this.images.get(id)!) } : undefined;
  }

  async commitImage(config: ImageConfig): Promise<string> {
    const id = `sha256:${createHash('sha256').update(canonicalJson(config)).digest('hex')}`;
    this.images.set(id, structuredClone(config));
    return id;
  }

  async tag(imageId: string, ref: string): Promise<void> {
    this.tags.set(ref, imageId);
  }
}

/**
 * Runs RUN steps by reading their shell text as a tiny script, one command per
 * line or `;`: `write PATH TEXT` adds a file to the diff, `echo TEXT` prints,
 * `printenv` prints the environment, `fail CODE` exits with CODE, `wait NAME`
 * blocks until `release(NAME)` (to observe parallel stages).
 */
export class FakeExecutor implements StepExecutor {
  readonly requests: RunRequest[] = [];
  running = 0;
  maxRunning = 0;
  private readonly gates = new Map<string, { promise: Promise<void>; open: () => void }>();

  gate(name: string): { promise: Promise<void>; open: () => void } {
    let g = this.gates.get(name);
    if (!g) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      g = { promise, open };
      this.gates.set(name, g);
    }
    return g;
  }

  async run(req: RunRequest): Promise<RunResult> {
    this.requests.push(req);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      const files: PackEntry[] = [];
      const script = req.argv[req.argv.length - 1] ?? '';
      for (const command of script.split(/[;\n]/).map((c) => c.trim()).filter((c) => c !== '')) {
        const [verb, ...rest] = command.split(' ');
        if (verb === 'write') files.push({ name: rest[0]!.replace(/^\//, ''), type: 'file', mode: 0o644, body: Buffer.from(rest.slice(1).join(' ')) });
        else if (verb === 'echo') req.onOutput(rest.join(' '), 'stdout');
        else if (verb === 'printenv') req.env.forEach((e) => req.onOutput(e, 'stdout'));
        else if (verb === 'fail') return { exitCode: Number(rest[0]) };
        else if (verb === 'wait') {
          this.gate(`started:${rest[0]}`).open();
          // A real executor kills the step's container when the build is interrupted.
          const aborted = new Promise<void>((resolve) => req.signal?.addEventListener('abort', () => resolve(), { once: true }));
          await Promise.race([this.gate(rest[0]!).promise, aborted]);
          if (req.signal?.aborted) return { exitCode: 137 };
        }
      }
      return { exitCode: 0, diff: files.length === 0 ? { kind: 'empty' } : { kind: 'tar', open: () => packStream(files) } };
    } finally {
      this.running--;
    }
  }
}


/** `tar -tv` of a layer, for assertions on the archive itself. */
export function listTar(tar: Buffer): string[] {
  return execFileSync('tar', ['-tv', '--numeric-owner', '-f', '-'], { input: tar, encoding: 'utf8' }).split('\n').filter((l) => l !== '');
}
