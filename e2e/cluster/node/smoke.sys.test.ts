import { describeSystem } from '../../support/system';
import { BusyboxImage } from '../images';
import { createPod, isReady, useSimulatedNode, waitForPod } from './testing/fixture';

describeSystem('smoke', () => {
  const cluster = useSimulatedNode();
  it('runs a pod', async () => {
    const { client, node } = cluster();
    await createPod(client, { metadata: { name: 'hello' }, spec: { containers: [{ name: 'main', image: BusyboxImage, command: ['sh', '-c', 'echo hello from $HOSTNAME; id; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; sleep 100'] }] } });
    const pod = await waitForPod(client, 'default', 'hello', 'is ready', isReady);
    console.log(JSON.stringify(pod?.status, null, 1));
    await new Promise((r) => setTimeout(r, 500));
    console.log(await node.logs('default', 'hello', 'main'));
  });
}, ['ip', 'iptables', 'tcpdump', 'setpriv', 'nsenter', 'unshare', 'openssl']);
