// The live reload: the project's files changed, so load them again. A load
// that fails (or that this backend cannot run, or whose watch settings are
// wrong) is `reload-rejected` with every error, and nothing running is
// touched. A valid one is reconciled by the up planner for the changed
// services only, orphans removed (a service taken out of the file goes): a
// service rescaled gains or loses replicas, a reconfigured one is recreated,
// the others keep their replicas as they are. One `reload` event names each
// changed service (of the watched ones, when the watch names services).
import { ConfigErrors, TugError, isUserError } from '../../core/errors.js';
import type { Project } from '../../core/model/types.js';
import { changedServices } from '../../core/watch/reload-diff.js';
import { watchSettings } from '../../core/watch/settings.js';
import type { EngineContext } from '../context.js';
import { down } from '../down.js';
import { up } from '../up.js';
import { checkBackendCan } from '../validate.js';
import type { WatchEventInit } from './events.js';
import { asTugError } from './steps.js';

export interface LoadedModel {
  project: Project;
  /** Every file the load read. */
  sourceFiles: readonly string[];
}

/** The new model when it was accepted (and reconciled), undefined when it was rejected. */
export async function reloadProject(
  ctx: EngineContext,
  current: Project,
  load: () => LoadedModel | Promise<LoadedModel>,
  services: readonly string[] | undefined,
  emit: (event: WatchEventInit) => void,
): Promise<LoadedModel | undefined> {
  let loaded: LoadedModel;
  try {
    loaded = await load();
    checkBackendCan(ctx, loaded.project);
    const settings = watchSettings(loaded.project);
    if (settings instanceof TugError) throw settings;
    if (loaded.project.name !== current.name) {
      throw new TugError({
        code: 'watch.project-renamed',
        message: `the project's name changed from "${current.name}" to "${loaded.project.name}"; a watch follows one project`,
        hint: 'stop watching and run tug up (and tug down -p for the old name)',
      });
    }
  } catch (err) {
    if (!isUserError(err)) throw err;
    emit({ type: 'reload-rejected', errors: err instanceof ConfigErrors ? err.errors : [err] });
    return undefined;
  }
  const changes = changedServices(current, loaded.project).filter((c) => !services || services.includes(c.service));
  try {
    // Only the changed services are planned: an unchanged one-shot that has finished must not run again.
    const present = changes.filter((c) => c.change !== 'removed').map((c) => c.service);
    const removed = changes.filter((c) => c.change === 'removed').map((c) => c.service);
    if (present.length > 0) await up(ctx, loaded.project, { services: present, removeOrphans: true });
    else if (removed.length > 0) await down(ctx, loaded.project.name, loaded.project, { services: removed, removeOrphans: true });
  } catch (err) {
    emit({ type: 'error', error: asTugError(err, 'applying the reloaded project failed') });
  }
  emit({ type: 'reload', services: changes });
  return loaded;
}
