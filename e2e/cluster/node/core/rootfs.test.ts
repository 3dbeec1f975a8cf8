import { type HostView, launchScript, resolveInRoot, setprivArgs, shellQuote, SetupFailedExitCode } from './rootfs';

const host: Record<string, 'dir' | 'file' | ['symlink', string]> = {
  '/var': 'dir', '/var/run': ['symlink', '/run'], '/run': 'dir', '/etc': 'dir', '/etc/hosts': 'file',
  '/usr': 'dir', '/lib': ['symlink', 'usr/lib'], '/usr/lib': 'dir', '/loop': ['symlink', '/loop'],
};
const view: HostView = {
  kind: (p) => {
    const k = host[p];
    return k === undefined ? 'missing' : Array.isArray(k) ? 'symlink' : k;
  },
  readlink: (p) => (host[p] as [string, string])[1],
};

describe('paths inside the container root', () => {
  it.each([
    ['/var/run/secrets/kubernetes.io/serviceaccount', ['/run'], '/var/run/secrets/kubernetes.io/serviceaccount'.replace('/var/run', '/run')],
    ['/etc/skein/podinfo', [], '/etc/skein/podinfo'],
    ['/lib/x', [], '/usr/lib/x'],
    ['/etc/../var/./run/a', ['/run'], '/run/a'],
    ['/opt/skein/dist', ['/opt/skein'], '/opt/skein/dist'],
  ])('%s', (path, opaque, expected) => {
    expect(resolveInRoot(path, view, opaque)).toBe(expected);
  });

  it('rejects relative paths and symlink loops', () => {
    expect(() => resolveInRoot('data', view, [])).toThrow('must be absolute');
    expect(() => resolveInRoot('/loop/x', view, [])).toThrow('too many levels of symbolic links');
  });
});

describe('the container launch script', () => {
  const creds = { uid: 1337, gid: 1337, groups: [], capabilities: [], noNewPrivs: true, readOnlyRootFilesystem: true };
  const tools = { mount: '/usr/bin/mount', mkdir: '/usr/bin/mkdir', touch: '/usr/bin/touch', hostname: '/usr/bin/hostname', chroot: '/usr/sbin/chroot', env: '/usr/bin/env', setpriv: '/usr/bin/setpriv' };
  const script = launchScript({
    dir: '/tmp/run/c1',
    imageFiles: { '/opt/skein': '/work/repo' },
    etc: { hosts: '/etc/netns/p/hosts', nsswitch: '/etc/netns/p/nsswitch.conf', hostname: '/tmp/run/p/hostname' },
    hostname: 'web-1',
    mounts: [
      { source: '/tmp/run/p/volumes/token', sourceIsDir: true, target: '/var/run/secrets/tokens', readOnly: true },
      { source: '/tmp/run/p/volumes/data', sourceIsDir: true, target: '/data', readOnly: false },
    ],
    readOnlyRoot: true,
    workingDir: '/opt/skein',
  }, creds, ['node', "it's"], {}, view, tools);

  it('builds the root from an overlay of the host with fresh /tmp and /run', () => {
    expect(script).toContain('/usr/bin/mount -t overlay overlay -o "lowerdir=/,upperdir=$C/layer/upper,workdir=$C/layer/work" "$R"');
    expect(script).toContain(`/usr/bin/mount -t tmpfs -o mode=1777 tmpfs "$R"'/tmp'`);
    expect(script).toContain(`trap 'exit ${SetupFailedExitCode}' EXIT`);
  });

  it('creates mount points inside the root, resolving /var/run to /run', () => {
    expect(script).toContain(`/usr/bin/mkdir -p "$R"'/run/secrets/tokens'\n/usr/bin/mount --bind '/tmp/run/p/volumes/token' "$R"'/run/secrets/tokens'`);
    expect(script).toContain(`/usr/bin/mount -o remount,bind,ro "$R"'/run/secrets/tokens'`);
    expect(script).not.toContain(`remount,bind,ro "$R"'/data'`);
  });

  it('mounts image files and the pod /etc files', () => {
    expect(script).toContain(`/usr/bin/mount --bind '/work/repo' "$R"'/opt/skein'`);
    expect(script).toContain(`/usr/bin/touch "$R"'/etc/hostname'`);
  });

  it('says "started" on fd 3 (and closes it) just before the exec', () => {
    expect(script).toContain("trap - EXIT\nprintf 'started\\n' >&3\nexec 3>&-\nexec /usr/sbin/chroot");
  });

  it('makes the root read-only when asked, then execs chroot, env and setpriv with the argv quoted', () => {
    expect(script).toContain('/usr/bin/mount -o remount,bind,ro "$R"\n');
    expect(script.trimEnd().split('\n').at(-1)).toBe(`exec /usr/sbin/chroot "$R" /usr/bin/env '-u' 'PWD' -C '/opt/skein' /usr/bin/setpriv --reuid=1337 --regid=1337 --clear-groups --bounding-set=-all --inh-caps=-all --no-new-privs -- 'node' 'it'\\''s'`);
  });

  it('setpriv keeps exactly the capabilities asked for', () => {
    expect(setprivArgs({ uid: 0, gid: 0, groups: [5, 6], capabilities: ['NET_ADMIN', 'NET_RAW'], noNewPrivs: false, readOnlyRootFilesystem: false })).toEqual([
      '--reuid=0', '--regid=0', '--groups=5,6', '--bounding-set=-all,+net_admin,+net_raw', '--inh-caps=-all', '--',
    ]);
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
});
