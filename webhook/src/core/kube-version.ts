/** Kubernetes versions as the API server reports them (`v1.29.4`, `1.30`, `v1.28.3-eks-1.2`). */

export interface KubeVersion {
  major: number;
  minor: number;
}

export function parseKubeVersion(text: string): KubeVersion | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*)?$/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** Native sidecars (init containers with restartPolicy Always) are on by default from 1.29. */
export const nativeSidecarMinimum: KubeVersion = { major: 1, minor: 29 };

export function atLeast(version: KubeVersion, minimum: KubeVersion): boolean {
  return version.major > minimum.major || (version.major === minimum.major && version.minor >= minimum.minor);
}

/** Whether to render the proxy as a native sidecar, from the configured mode and cluster version. */
export function useNativeSidecar(mode: 'auto' | 'on' | 'off', clusterVersion: string | undefined): boolean {
  if (mode !== 'auto') return mode === 'on';
  const version = clusterVersion === undefined ? undefined : parseKubeVersion(clusterVersion);
  return version !== undefined && atLeast(version, nativeSidecarMinimum);
}
