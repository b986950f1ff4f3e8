// One literal Project for tests that hand the engine or a backend a project
// without loading a file: the fields a test does not name get the values the
// loader gives a file that leaves them out, so a field added to Project is
// added here once.
import type { Project } from '../../src/core/model/types.js';

export function projectLiteral(fields: Pick<Project, 'name' | 'services'> & Partial<Project>): Project {
  return {
    workingDir: '/proj',
    configFiles: [],
    disabledServices: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    extensions: {},
    ...fields,
  };
}
