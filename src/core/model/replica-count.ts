// How many replicas one service may have, in one small module: the loader
// checks `scale:`/`deploy.replicas` with it and the CLI checks `--scale` with
// it, without loading the loader's coercion code on every command.
import { groupDigits } from '../compare.js';

/**
 * The most replicas one service may ask for. Planning 100,000 takes about a
 * second; a million still plans (in tens of seconds and 2 GB); beyond that
 * no single host runs them anyway.
 */
export const MAX_REPLICAS = 1_000_000;

/** What a replica count must be, in words (also used for --scale). */
export const REPLICAS_EXPECTED = `a whole number from 0 to ${groupDigits(MAX_REPLICAS)}`;

/** A replica count out of range, as a message; undefined when it is fine. */
export function replicaCountProblem(count: number): string | undefined {
  if (!Number.isInteger(count) || count < 0) return `${count} is not a replica count`;
  if (count > MAX_REPLICAS) return `${count} replicas is more than the ${groupDigits(MAX_REPLICAS)} tug allows`;
  return undefined;
}
