// The files a project is made of, for the live reload: its Compose files, the
// files the loader read (include and extends targets, env_file, label_file:
// the host records every read, see host/open-project.ts), the .env files
// interpolation looked for, and each service's env_file and label_file. A
// change to any of them means "load the project again". Files reached through
// `include` and `extends: file:` leave no trace in the Project: only the
// recorded reads name them.
import type { Project } from '../model/types.js';

export function projectFiles(project: Project, readFiles: readonly string[] = []): string[] {
  const files = new Set<string>();
  for (const file of project.configFiles) if (file !== '-') files.add(file);
  for (const file of readFiles) if (file !== '-') files.add(file);
  for (const svc of [...Object.values(project.services), ...Object.values(project.disabledServices)]) {
    for (const ref of svc.env_file ?? []) files.add(ref.path);
    const labelFiles = svc.label_file;
    if (Array.isArray(labelFiles)) for (const file of labelFiles) if (typeof file === 'string') files.add(file);
  }
  return [...files];
}
