// Which replicas a service keeps and which go when it has more than it should.
// Like a Kubernetes ReplicaSet, the scaling diff is a number and the choice of
// victims is this separate pure function. Compose's rule (PR #12272): replicas
// are ranked up-to-date first, then by ascending number; whatever ranks at or
// beyond the desired count is removed. So obsolete replicas go first, then the
// highest numbers, and the survivors keep the low, familiar numbers.

export interface ScaleSelection<T> {
  /** Replicas that stay, in rank order (up-to-date first, then by number). */
  keep: T[];
  /** Replicas to remove, most removable first: obsolete ones by descending number, then the rest by descending number. */
  remove: T[];
}

/** Up-to-date before obsolete, then ascending number. */
export function rankReplicas<T extends { number: number }>(replicas: readonly T[], isObsolete: (r: T) => boolean): T[] {
  return [...replicas].sort((a, b) => {
    const oa = isObsolete(a) ? 1 : 0;
    const ob = isObsolete(b) ? 1 : 0;
    return oa - ob || a.number - b.number;
  });
}

/** Splits a service's replicas into those kept and those removed to reach `desired`. */
export function selectScaleDown<T extends { number: number }>(
  replicas: readonly T[],
  desired: number,
  isObsolete: (r: T) => boolean,
): ScaleSelection<T> {
  const ranked = rankReplicas(replicas, isObsolete);
  const cut = Math.max(0, Math.min(desired, ranked.length));
  return { keep: ranked.slice(0, cut), remove: ranked.slice(cut).reverse() };
}

/** Numbers for `count` new replicas: after the highest one ever seen; gaps are not refilled. */
export function nextReplicaNumbers(existing: readonly { number: number }[], count: number): number[] {
  const max = existing.reduce((m, r) => Math.max(m, r.number), 0);
  return Array.from({ length: Math.max(0, count) }, (_, i) => max + 1 + i);
}
