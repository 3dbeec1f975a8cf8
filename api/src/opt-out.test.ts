import { podOptOut } from './opt-out';

const istio = 'sidecar.istio.io/inject';
const skein = 'skein.dev/inject';

describe('podOptOut (one rule for the webhook and the mesh model)', () => {
  it.each<[string, Record<string, string>, Record<string, string>, ReturnType<typeof podOptOut>]>([
    ['nothing', {}, {}, undefined],
    ['Skein label false', { [skein]: 'false' }, {}, { by: 'skein', where: 'label', key: skein }],
    ['Skein annotation false', {}, { [skein]: 'false' }, { by: 'skein', where: 'annotation', key: skein }],
    ['Istio label false', { [istio]: 'false' }, {}, { by: 'istio', where: 'label', key: istio }],
    ['Istio annotation false', {}, { [istio]: 'false' }, { by: 'istio', where: 'annotation', key: istio }],
    ['Istio true is no opt-out (and no opt-in)', { [istio]: 'true' }, {}, undefined],
    ["Skein's own label decides over Istio's (side-by-side migration)", { [skein]: 'true', [istio]: 'false' }, {}, undefined],
    ["Skein's own annotation decides too", {}, { [skein]: 'true', [istio]: 'false' }, undefined],
    ['both say false: Skein named first', { [skein]: 'false', [istio]: 'false' }, {}, { by: 'skein', where: 'label', key: skein }],
    ['Istio value other than "false"', { [istio]: 'False' }, {}, undefined],
  ])('%s', (_name, labels, annotations, expected) => {
    expect(podOptOut(labels, annotations)).toEqual(expected);
  });
});
