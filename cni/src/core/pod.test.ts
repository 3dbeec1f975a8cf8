import { Annotations } from '../../../api/src/names';
import { defaultCaptureConfig } from '../../../capture/src/core/capture-rules';
import { captureOptions, planForPod } from './pod';
import { ErrorCode } from './spec';
import { probePort, verdict } from './validation';

/** The flags the webhook renders into the annotation (webhook/src/core/capture.ts captureFlags) for a pod with no traffic annotations. */
const webhookFlags = [
  '--proxy-uid', '1337', '--proxy-gid', '1337', '--inbound-capture-port', '15006', '--outbound-capture-port', '15001',
  '--exclude-inbound-ports', '15020,15021,15090', '--include-inbound-ports', '*', '--include-outbound-cidrs', '*',
];
const ref = { namespace: 'shop', name: 'cart' };
const marked = (value: string) => ({ uid: 'u1', annotations: { [Annotations.cniCapture]: value, team: 'payments' } });

describe('planForPod', () => {
  it('a marked pod is captured with exactly the flags init-network would get', () => {
    const plan = planForPod(ref, marked(JSON.stringify(webhookFlags)));
    expect(plan).toEqual({ capture: true, options: { config: defaultCaptureConfig, ipv6: 'auto', backend: 'auto', dryRun: false, cleanup: false } });
  });

  it('a pod without the annotation (unmeshed, or injected in init mode) is untouched', () => {
    expect(planForPod(ref, { uid: 'u1', annotations: { [Annotations.status]: '{}' } })).toEqual({ capture: false, reason: `pod shop/cart has no ${Annotations.cniCapture} annotation` });
  });

  it('an unknown pod is the spec\'s "container unknown" error', () => {
    expect(planForPod(ref, undefined)).toEqual({ error: { code: ErrorCode.unknownContainer, msg: 'pod shop/cart does not exist' } });
  });

  it('a pod replaced under the same name is refused when kubelet gave the uid', () => {
    expect(planForPod({ ...ref, uid: 'old' }, marked('[]'))).toMatchObject({ error: { code: ErrorCode.unknownContainer, msg: expect.stringMatching(/was replaced/) } });
    expect(planForPod({ ...ref, uid: 'u1' }, marked('[]'))).toMatchObject({ capture: true });
  });

  it.each([
    ['not JSON', 'not JSON'],
    ['{"a":1}', 'expected a JSON list of init-network flags'],
    ['["--proxy-uid", 1337]', 'expected a JSON list of init-network flags'],
    ['["--proxy-uid", "0"]', '--proxy-uid: invalid value "0": must not be 0: all of root\'s traffic would bypass the proxy'],
    ['["--exclude-outbound-cidrs", "10.0.0.0/40"]', '--exclude-outbound-cidrs: invalid value "10.0.0.0/40": prefix length must be 0-32'],
    ['["--no-such-flag"]', "Unknown option '--no-such-flag'"],
    ['["--cleanup"]', '--dry-run and --cleanup are not capture settings'],
    ['["--dry-run"]', '--dry-run and --cleanup are not capture settings'],
  ])('annotation %s is refused: %s', (value, details) => {
    const plan = planForPod(ref, marked(value));
    expect(plan).toMatchObject({ error: { code: ErrorCode.badCaptureAnnotation, msg: `pod shop/cart: annotation ${Annotations.cniCapture} is invalid` } });
    expect('error' in plan && plan.error.details).toContain(details);
  });

  it('captureOptions reads the flags the webhook renders', () => {
    expect(captureOptions(JSON.stringify([...webhookFlags, '--exclude-outbound-ports', '5432']))).toMatchObject({ config: { excludeOutboundPorts: [5432] } });
  });
});

describe('skein-validation probe', () => {
  const config = { ...defaultCaptureConfig };
  it.each([
    ['every port captured: 15002', config, 15002],
    ['15002 excluded: the next one', { ...config, excludeInboundPorts: [...config.excludeInboundPorts, 15002, 15003] }, 15004],
    ['an include list: its lowest port', { ...config, includeInboundPorts: [9090, 8080] }, 8080],
    ['included but excluded ports are skipped', { ...config, includeInboundPorts: [8080, 15021, 9090], excludeInboundPorts: [8080] }, 9090],
    ['only proxy ports included: nothing to probe', { ...config, includeInboundPorts: [15021, 15006] }, undefined],
  ])('%s', (_name, c, port) => expect(probePort(c)).toBe(port));

  it('says what is wrong and what to do', () => {
    expect(verdict('redirected', '10.0.0.5:15002', 15006)).toEqual({ ok: true, message: expect.stringMatching(/capture is in place/) });
    const refused = verdict('refused', '10.0.0.5:15002', 15006);
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/NOT in place.*10\.0\.0\.5:15002 was refused.*skein-cni-agent.*delete it/);
    expect(verdict('timeout', 'x', 15006).message).toMatch(/timed out/);
    expect(verdict('answered-elsewhere', 'x', 15006)).toMatchObject({ ok: false, message: expect.stringMatching(/something other than the capture/) });
  });
});
