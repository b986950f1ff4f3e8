// The service dependency graph rebuilt from replica labels alone, so `down`,
// `stop`, `start` and `restart` order their work correctly even when the
// Compose file has changed or is gone (the depends_on label is written for this).
import { Graph } from '../graph/graph.js';
import { order, type Direction } from '../graph/order.js';
import { LABEL, parseDependsOnLabel } from '../model/labels.js';
import type { DependencyCondition } from '../model/types.js';
import type { ObservedReplica } from './observed.js';

export interface LabelEdge {
  condition: DependencyCondition;
  restart: boolean;
}

const CONDITIONS = new Set<string>(['service_started', 'service_healthy', 'service_completed_successfully']);

/** Nodes are the services of `replicas`; an edge is kept only when both ends have replicas. */
export function graphFromLabels(replicas: readonly ObservedReplica[]): Graph<LabelEdge> {
  const graph = new Graph<LabelEdge>();
  const services = new Set(replicas.map((r) => r.service));
  for (const service of [...services].sort()) graph.addNode(service);
  for (const r of replicas) {
    for (const dep of parseDependsOnLabel(r.labels[LABEL.dependsOn])) {
      if (!services.has(dep.service) || dep.service === r.service || graph.hasEdge(r.service, dep.service)) continue;
      const condition = CONDITIONS.has(dep.condition) ? (dep.condition as DependencyCondition) : 'service_started';
      graph.addEdge(r.service, dep.service, { condition, restart: dep.restart });
    }
  }
  return graph;
}

/**
 * `order`, but never fails: labels written by an older file could in theory
 * disagree into a cycle, and tearing down must still proceed (alphabetically).
 */
export function labelOrder(graph: Graph<LabelEdge>, direction: Direction): string[] {
  return graph.findCycle() ? graph.nodes() : order(graph, direction);
}
