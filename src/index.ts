// tug as a library: open a project and drive it as the CLI does (the CLI is
// built on these same calls). Errors are TugError / ConfigErrors with stable
// codes; events and results are plain typed data, with no backend types.
//
//   await using project = await openProject({ projectDirectory: 'examples/quickstart' });
//   await project.up({ wait: true });
//   const rows = await project.ps();
export { openProject, type OpenProjectOptions } from './api/open.js';
export { Project, type ApiRunResult, type ApiUpOptions, type ApiUpResult, type ApiWatchOptions } from './api/project.js';
export type { WatchHandle } from './api/watch-handle.js';
export { ConfigErrors, TugError, isUserError, type SourceLocation, type TugErrorInit } from './core/errors.js';
export type { Project as ProjectModel, ServiceSpec } from './core/model/types.js';
export type { ObservedReplica, ReplicaState, HealthState, PublishedPort } from './core/reconcile/observed.js';
export type { PsRow } from './core/render/ps-row.js';
export type { Attachment, AttachOptions } from './engine/attach.js';
export type { BuildOptions, BuildResult } from './engine/build.js';
export type { DownOptions, DownResult } from './engine/down.js';
export type { EngineEvent, EventSink } from './engine/events.js';
export type { ExecOptions } from './engine/exec.js';
export type { PullOptions } from './engine/images.js';
export type { LifecycleOptions } from './engine/lifecycle.js';
export type { LogsOptions } from './engine/logs.js';
export type { PsOptions } from './engine/ps.js';
export type { RunHandle, RunOptions } from './engine/run.js';
export type { ScaleOptions } from './engine/scale.js';
export type { UpOptions, UpResult } from './engine/up.js';
export type { WatchEvent, WatchEventSink, ServiceChange } from './engine/watch/events.js';
export type { ImageProgress, ImageRemoval, LogLine, ProjectImage, ReplicaEvent } from './runtime/backend.js';
export { tugVersion } from './version.js';
