/**
 * The Kubernetes journeys (e2e/cluster/journeys/, a–h) on a real kind cluster: the same suite as
 * e2e/cluster/journeys.sys.test.ts runs on the simulated cluster, over the kind backend
 * (backend.ts: kind create cluster, docker build of the Skein and sample-app images, kind load).
 * Needs a Docker engine, kind and kubectl (gate.ts); elsewhere skipped with "skipped: no
 * docker/kind: <what is missing>" (SKEIN_REQUIRE_KIND_TESTS=1 makes that a failure). The cluster is
 * deleted at the end; a failed run or SKEIN_KEEP_CLUSTER=1 keeps it for debugging (its name and
 * kubeconfig are printed). SKEIN_KIND_NODE_IMAGE picks the kindest/node image (the Kubernetes version).
 */
import { randomBytes } from 'node:crypto';
import { journeySuite } from '../cluster/journeys/suite';
import { startKindCluster } from './backend';
import { describeKind } from './gate';

describeKind('Kubernetes journeys on kind', () => {
  journeySuite({
    cni: false,
    start: () => startKindCluster({
      name: `skein-e2e-${randomBytes(3).toString('hex')}`,
      ...(process.env.SKEIN_KIND_NODE_IMAGE ? { nodeImage: process.env.SKEIN_KIND_NODE_IMAGE } : {}),
    }),
    // kind create (minutes), a docker build of the image from scratch (up to 15 min), kind load.
    startTimeoutMs: 1_800_000,
    keep: process.env.SKEIN_KEEP_CLUSTER === '1',
  });
});
