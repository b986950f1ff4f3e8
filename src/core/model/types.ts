// The project model: what the loader produces and every later stage consumes.
// Field names and shapes follow the Compose canonical form (as `docker compose
// config` prints it), so `tug config` is a plain serialization of this data.
// Keys we do not interpret are kept as they are (index signatures).

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface PortSpec {
  mode: 'ingress' | 'host';
  target: number;
  /** A single port "8080", a range "8000-8005", or absent for a random port. */
  published?: string;
  protocol: Protocol;
  host_ip?: string;
  name?: string;
  app_protocol?: string;
}

export type MountType = 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';

export interface VolumeMount {
  type: MountType;
  /** Absolute host path (bind), volume key (volume), absent for anonymous volumes and tmpfs. */
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: 'z' | 'Z'; [k: string]: unknown };
  volume?: { nocopy?: boolean; subpath?: string; [k: string]: unknown };
  tmpfs?: { size?: number; mode?: number; [k: string]: unknown };
  image?: { subpath?: string };
  [key: string]: unknown;
}

export type DependencyCondition =
  | 'service_started'
  | 'service_healthy'
  | 'service_completed_successfully';

export interface DependsOnSpec {
  condition: DependencyCondition;
  required: boolean;
  restart: boolean;
}

export interface ServiceNetworkSpec {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  priority?: number;
  [key: string]: unknown;
}

export interface BuildSpec {
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  target?: string;
  labels?: Record<string, string>;
  no_cache?: boolean;
  [key: string]: unknown;
}

export interface HealthcheckSpec {
  /** ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]. */
  test?: string[];
  /** Durations in Go form, e.g. "1m30s". */
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  start_interval?: string;
  disable?: boolean;
}

export interface ServiceSpec {
  image?: string;
  build?: BuildSpec;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  env_file?: { path: string; required: boolean; format?: string }[];
  ports?: PortSpec[];
  expose?: string[];
  volumes?: VolumeMount[];
  volumes_from?: string[];
  depends_on?: Record<string, DependsOnSpec>;
  links?: string[];
  networks?: Record<string, ServiceNetworkSpec | null>;
  network_mode?: string;
  healthcheck?: HealthcheckSpec;
  restart?: string;
  scale?: number;
  deploy?: { replicas?: number; [key: string]: unknown };
  profiles?: string[];
  container_name?: string;
  working_dir?: string;
  user?: string;
  stop_signal?: string;
  stop_grace_period?: string;
  labels?: Record<string, string>;
  extends?: { service: string; file?: string };
  [key: string]: unknown;
}

export interface NetworkSpec {
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv6?: boolean;
  ipam?: { driver?: string; config?: Record<string, unknown>[]; options?: Record<string, string> };
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface VolumeSpec {
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface FileObjectSpec {
  name?: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  [key: string]: unknown;
}

export interface Project {
  name: string;
  /** Absolute project directory. */
  workingDir: string;
  /** Absolute paths of the Compose files, in load order ("-" for stdin). */
  configFiles: string[];
  services: Record<string, ServiceSpec>;
  /** Services present in the files but disabled by profiles (never orphans). */
  disabledServices: Record<string, ServiceSpec>;
  networks: Record<string, NetworkSpec>;
  volumes: Record<string, VolumeSpec>;
  secrets: Record<string, FileObjectSpec>;
  configs: Record<string, FileObjectSpec>;
  /** Top-level `x-*` extension fields, kept as written. */
  extensions: Record<string, unknown>;
}
