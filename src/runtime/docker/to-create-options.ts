// ReplicaSpec → the body of the Engine's ContainerCreate (API 1.41). Pure: no
// engine calls; the few facts that need the engine (the container behind a
// `service:x` reference, an image's volumes) come in as `CreateContext`.
// API 1.41 accepts one network at create, so the first network (by priority,
// then name) goes into the body and the rest come back as `extraNetworks`,
// which the backend connects right after create.
import { msToNs, stopGraceMs, writtenHealthTimings } from '../../core/model/timing.js';
import type { HealthcheckSpec, PortSpec, ServiceNetworkSpec, ServiceSpec } from '../../core/model/types.js';
import type { ReplicaSpec } from '../../core/reconcile/operations.js';
import type { ImageHealthcheck } from '../../core/images/image-config.js';
import { LABEL, targetsLabel } from '../../core/model/labels.js';
import { anonymousTargets, resolveReference, toHostConfig, type HostConfig } from './create-host-config.js';

export interface CreateContext {
  /** The container (ID or name) of another service of the project, for `service:x` references and links. */
  containerOf?(service: string): string | undefined;
  /** The targets of the image's VOLUMEs (from its config): the engine gives each an anonymous volume. */
  imageVolumes?: readonly string[];
}

export interface EndpointConfig {
  Aliases?: string[];
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string };
  Links?: string[];
}

/** The JSON body of POST /containers/create, as far as tug fills it. */
export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Domainname?: string;
  MacAddress?: string;
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  Healthcheck?: ImageHealthcheck;
  StopSignal?: string;
  StopTimeout?: number;
  Tty?: boolean;
  OpenStdin?: boolean;
  HostConfig: HostConfig;
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointConfig> };
}

/** A network joined after create (NetworkConnect), with its endpoint settings. */
export interface NetworkAttachment {
  network: string;
  endpoint: EndpointConfig;
}

/** A file copied into the container after create (secrets/configs given as `content`). */
export interface FileInjection {
  path: string;
  content: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface CreateOptions {
  name: string;
  body: ContainerCreateBody;
  extraNetworks: NetworkAttachment[];
  injections: FileInjection[];
}

/** The Engine API's healthcheck durations (nanoseconds) and where each comes from. */
const HEALTH_DURATIONS = [
  ['Interval', 'intervalMs'],
  ['Timeout', 'timeoutMs'],
  ['StartPeriod', 'startPeriodMs'],
  ['StartInterval', 'startIntervalMs'],
] as const;

export function toCreateOptions(spec: ReplicaSpec, ctx: CreateContext = {}): CreateOptions {
  const svc = spec.service_spec;
  const { hostConfig, injections } = toHostConfig(spec, ctx);
  const networks = orderedNetworks(spec);
  const body: ContainerCreateBody = {
    Image: imageName(spec.project, spec.service, svc),
    Labels: { ...(svc.labels ?? {}), ...spec.labels },
    HostConfig: hostConfig,
  };
  const anonymous = anonymousTargets(spec, ctx.imageVolumes);
  if (anonymous.length > 0) body.Labels[LABEL.anonymousVolumes] = targetsLabel(anonymous);
  if (svc.command) body.Cmd = [...svc.command];
  if (svc.entrypoint) body.Entrypoint = [...svc.entrypoint];
  const env = environment(svc.environment);
  if (env.length > 0) body.Env = env;
  setString(body, 'WorkingDir', svc.working_dir);
  setString(body, 'User', svc.user === undefined ? undefined : String(svc.user));
  setString(body, 'Hostname', svc.hostname);
  setString(body, 'Domainname', svc.domainname);
  setString(body, 'MacAddress', svc.mac_address);
  setString(body, 'StopSignal', svc.stop_signal);
  if (svc.stop_grace_period) body.StopTimeout = Math.ceil(stopGraceMs(svc) / 1000);
  if (svc.tty === true) body.Tty = true;
  if (svc.stdin_open === true) body.OpenStdin = true;

  const exposed = exposedPorts(svc);
  if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
  const bindings = portBindings(svc.ports ?? []);
  if (Object.keys(bindings).length > 0) hostConfig.PortBindings = bindings;
  const health = healthcheck(svc.healthcheck);
  if (health) body.Healthcheck = health;

  const extraNetworks: NetworkAttachment[] = [];
  if (svc.network_mode) {
    hostConfig.NetworkMode = resolveReference(svc.network_mode, spec, ctx, 'network_mode');
  } else if (networks.length > 0) {
    const [first, ...rest] = networks.map(([key, attachment]) => ({
      network: spec.networkNames[key] ?? key,
      endpoint: endpointConfig(spec, attachment, ctx),
    }));
    hostConfig.NetworkMode = first!.network;
    body.NetworkingConfig = { EndpointsConfig: { [first!.network]: first!.endpoint } };
    extraNetworks.push(...rest);
  }
  return { name: spec.name, body, extraNetworks, injections };
}

/** The image a service runs: `image:`, or `<project>-<service>` for a build-only service. */
export function imageName(project: string, service: string, svc: ServiceSpec): string {
  return svc.image ?? `${project}-${service}`;
}

/** True when the replica publishes a host port range: the engine allocates those non-atomically. */
export function publishesPortRange(svc: ServiceSpec): boolean {
  return (svc.ports ?? []).some((p) => p.published?.includes('-') ?? false);
}

function setString<K extends 'WorkingDir' | 'User' | 'Hostname' | 'Domainname' | 'MacAddress' | 'StopSignal'>(
  body: ContainerCreateBody,
  key: K,
  value: unknown,
): void {
  if (typeof value === 'string' && value !== '') body[key] = value;
}

function environment(env: ServiceSpec['environment']): string[] {
  return Object.entries(env ?? {}).flatMap(([k, v]) => (v === null || v === undefined ? [] : [`${k}=${v}`]));
}

/** Networks sorted as Compose does: highest priority first, then by name. */
function orderedNetworks(spec: ReplicaSpec): [string, ServiceNetworkSpec | null][] {
  const priority = (a: ServiceNetworkSpec | null) => (typeof a?.priority === 'number' ? a.priority : 0);
  return Object.entries(spec.service_spec.networks ?? {}).sort(
    ([ka, a], [kb, b]) => priority(b) - priority(a) || (ka < kb ? -1 : ka > kb ? 1 : 0),
  );
}

/** Aliases: the container name, then (not for one-offs) the service name and the network's aliases. */
function endpointConfig(spec: ReplicaSpec, attachment: ServiceNetworkSpec | null, ctx: CreateContext): EndpointConfig {
  const aliases = [spec.name];
  if (!spec.oneoff) aliases.push(spec.service, ...(attachment?.aliases ?? []));
  const endpoint: EndpointConfig = { Aliases: [...new Set(aliases)] };
  if (attachment?.ipv4_address || attachment?.ipv6_address) {
    endpoint.IPAMConfig = {};
    if (attachment.ipv4_address) endpoint.IPAMConfig.IPv4Address = attachment.ipv4_address;
    if (attachment.ipv6_address) endpoint.IPAMConfig.IPv6Address = attachment.ipv6_address;
  }
  const links = linkAliases(spec.service_spec, ctx);
  if (links.length > 0) endpoint.Links = links;
  return endpoint;
}

/** `links: [db, "db:database"]` → "<db container>:<alias>" for the containers that exist. */
function linkAliases(svc: ServiceSpec, ctx: CreateContext): string[] {
  const out: string[] = [];
  for (const link of svc.links ?? []) {
    const [service = '', alias = service] = link.split(':');
    const container = ctx.containerOf?.(service);
    if (container) out.push(`${container}:${alias}`);
  }
  const external = svc.external_links;
  if (Array.isArray(external)) for (const link of external) out.push(String(link).includes(':') ? String(link) : `${link}:${link}`);
  return out;
}

function portKey(port: number | string, protocol: string): string {
  return `${port}/${protocol}`;
}

function exposedPorts(svc: ServiceSpec): Record<string, Record<string, never>> {
  const out: Record<string, Record<string, never>> = {};
  for (const p of svc.ports ?? []) out[portKey(p.target, p.protocol)] = {};
  for (const entry of svc.expose ?? []) {
    const [range = '', protocol = 'tcp'] = String(entry).split('/');
    const [start, end = start] = range.split('-').map(Number);
    if (start === undefined || !Number.isInteger(start) || !Number.isInteger(end)) continue;
    for (let port = start; port <= end!; port++) out[portKey(port, protocol)] = {};
  }
  return out;
}

/** Ranges were expanded by the loader; a published range ("8000-8005") stays one HostPort string. */
export function portBindings(ports: readonly PortSpec[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) {
    const key = portKey(p.target, p.protocol);
    (out[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  return out;
}

function healthcheck(hc: HealthcheckSpec | undefined): ImageHealthcheck | undefined {
  if (!hc) return undefined;
  if (hc.disable === true) return { Test: ['NONE'] };
  const out: ImageHealthcheck = {};
  if (hc.test && hc.test.length > 0) out.Test = [...hc.test];
  const written = writtenHealthTimings(hc);
  for (const [key, field] of HEALTH_DURATIONS) {
    const ms = written[field];
    if (ms !== undefined) out[key] = msToNs(ms);
  }
  if (written.retries !== undefined) out.Retries = written.retries;
  return Object.keys(out).length > 0 ? out : undefined;
}
