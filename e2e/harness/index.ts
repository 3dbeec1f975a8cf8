/** The system-test harness: a local mesh of "pods" in network namespaces. See docs/testing.md. */
export { type AddPodOptions, Mesh, type MeshOptions, type Service, type ServiceSpec } from './mesh';
export { Pod, type PodSpec, type EchoOptions } from './pod';
export { Netns, AppUid, type RunAs, type ExecOptions, type SpawnOptions } from './netns';
export { ManagedProcess, type ExitStatus } from './process';
export { Capture } from './capture';
export { containsPlaintext, containsTlsRecords, tlsSummary, tcpSegments, tcpStreams, tlsRecordTypes, type TlsSummary } from './pcap';
export { runClient, type ClientRequest, type ClientReport } from './client';
export { appPath, buildApps } from './apps';
export { useMesh, type UseMeshOptions } from './jest';
export { sweepLeftovers } from './sweeper';
export { run, CommandError, type RunResult } from './command';
export { waitUntil } from './wait';
export { type ServicePortSpec } from './config';
