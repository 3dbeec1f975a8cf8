/**
 * Renders the injected pod from the original: a deep copy with the init container, the proxy,
 * its volumes, rewritten app probes and the status annotation. The original is not modified.
 */
import { Annotations, Containers } from '../../../api/src/names';
import { captureFlags, captureSettings } from './capture';
import { type InjectionConfig } from './config';
import { useNativeSidecar } from './kube-version';
import { rewriteAppProbes } from './probes';
import { initContainer, proxyContainer, proxyResources, proxyVolumes, validationContainer, Volumes } from './template';
import { InjectionError, type Pod } from './types';

/** JSON of the `skein.dev/status` annotation: what was injected, so that it can be recognised (and removed). */
export interface InjectionStatus {
  version: string;
  initContainers: string[];
  containers: string[];
  volumes: string[];
}

/** kubectl logs/exec pick this container by default (the proxy may be first in classic mode). */
export const defaultContainerAnnotation = 'kubectl.kubernetes.io/default-container';

function checkNoClash(pod: Pod): void {
  const ours = new Set<string>(Object.values(Containers));
  const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
  const clash = names.find((n) => ours.has(n));
  if (clash) throw new InjectionError(`pod already has a container named ${clash} that Skein did not inject (no ${Containers.proxy} with ${Annotations.status}); rename it or opt the pod out`);
  const volumes = new Set<string>(Object.values(Volumes));
  const volumeClash = (pod.spec.volumes ?? []).find((v) => volumes.has(v.name));
  if (volumeClash) throw new InjectionError(`pod already has a volume named ${volumeClash.name}, which Skein injects`);
}

/** Returns the injected copy; throws InjectionError when the pod's annotations or probes are invalid. */
export function injectPod(original: Pod, config: InjectionConfig): Pod {
  if (!Array.isArray(original.spec?.containers)) throw new InjectionError('pod spec has no containers list');
  checkNoClash(original);
  const pod = structuredClone(original);
  const metadata = (pod.metadata ??= {});
  const annotations = (metadata.annotations ??= {});
  const native = useNativeSidecar(config.nativeSidecars, config.clusterVersion);

  const cni = config.captureMode === 'cni';
  const capture = captureSettings(annotations);
  // CNI mode: the node's CNI agent installs the capture from this annotation before any container
  // starts; the pod only checks it (skein-validation), with no privilege at all.
  if (cni) annotations[Annotations.cniCapture] = JSON.stringify(captureFlags(capture));
  const init = cni ? validationContainer(capture, config) : initContainer(capture, config);
  const appContainers = pod.spec.containers;
  const originals = rewriteAppProbes(appContainers);
  const appProbes = Object.keys(originals).length > 0;
  const proxy = proxyContainer(proxyResources(annotations, config.resources), config, { native, appProbes, cni });
  const userInit = pod.spec.initContainers ?? [];

  if (native) {
    // init-network (or the validation), then the proxy (running), then the user's init containers, which are meshed.
    pod.spec.initContainers = [init, proxy, ...userInit];
  } else {
    // init mode: the user's init containers run before capture starts (no proxy is running yet to
    // serve them). CNI mode: capture is in place before any container starts; validate first, so
    // that no user init container runs in a pod whose capture is missing.
    pod.spec.initContainers = cni ? [init, ...userInit] : [...userInit, init];
    // First, so that its postStart hook holds the app containers until the proxy is ready.
    pod.spec.containers = [proxy, ...appContainers];
  }
  const volumes = proxyVolumes(config);
  pod.spec.volumes = [...(pod.spec.volumes ?? []), ...volumes];

  if (appProbes) annotations[Annotations.originalProbes] = JSON.stringify(originals);
  const firstApp = appContainers[0];
  if (firstApp && annotations[defaultContainerAnnotation] === undefined) annotations[defaultContainerAnnotation] = firstApp.name;
  const status: InjectionStatus = {
    version: config.version,
    initContainers: native ? [init.name, proxy.name] : [init.name],
    containers: native ? [] : [proxy.name],
    volumes: volumes.map((v) => v.name),
  };
  annotations[Annotations.status] = JSON.stringify(status);
  return pod;
}
