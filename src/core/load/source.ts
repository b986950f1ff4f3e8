// How later stages point a user at the place in a file a problem comes from.
import type { PathSegment, SourceLocation } from '../errors.js';

export interface SourceLocator {
  /** The file's path as the user gave it (absolute), or "-" for stdin. */
  readonly file: string;
  /**
   * Location of the node at `path`, or of its deepest existing ancestor.
   * With `key: true`, the location of the map key rather than its value
   * (what an "unknown key" error should point at).
   */
  locate(path: readonly PathSegment[], opts?: { key?: boolean }): SourceLocation;
  /** True when the exact path exists in this file. */
  has(path: readonly PathSegment[]): boolean;
}
