import { fieldErrorBody, invalid, invalidObject, notSupported, omitValue, required } from './status';

describe('field errors and the 422 Invalid Status (apimachinery wording)', () => {
  it.each([
    [required('spec.hosts'), 'Required value'],
    [required('metadata.name', 'name or generateName is required'), 'Required value: name or generateName is required'],
    [invalid('spec.port', 70000, 'must be between 1 and 65535, inclusive'), 'Invalid value: 70000: must be between 1 and 65535, inclusive'],
    [invalid('metadata.name', 'Bad', 'a lowercase RFC 1123 subdomain'), 'Invalid value: "Bad": a lowercase RFC 1123 subdomain'],
    [notSupported('spec.mode', 'X', ['STRICT', 'PERMISSIVE']), 'Unsupported value: "X": supported values: "STRICT", "PERMISSIVE"'],
    [{ type: 'FieldValueTooLong' as const, field: 'x', value: 'long', detail: 'may not be longer than 3' }, 'Too long: may not be longer than 3'],
    [{ type: 'FieldValueTooMany' as const, field: 'x', value: omitValue, detail: 'has too many items' }, 'Too many: has too many items'],
    [invalid('spec.selector', { matchLabels: { a: 'b' } }, 'field is immutable'), 'Invalid value: map[string]interface {}{"matchLabels":map[string]interface {}{"a":"b"}}: field is immutable'],
  ])('%j reads %j', (error, body) => {
    expect(fieldErrorBody(error)).toBe(body);
  });

  it('prints one error bare and several in brackets, with one cause each', () => {
    const one = invalidObject({ group: '', kind: 'Pod' }, 'p', [required('spec.containers')]);
    expect(one.status).toMatchObject({ code: 422, reason: 'Invalid', message: 'Pod "p" is invalid: spec.containers: Required value', details: { name: 'p', kind: 'Pod', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' }] } });
    const two = invalidObject({ group: 'networking.skein.dev', kind: 'VirtualService' }, 'r', [required('spec'), required('spec'), required('metadata.name')]);
    expect(two.status.message).toBe('VirtualService.networking.skein.dev "r" is invalid: [spec: Required value, metadata.name: Required value]');
    expect(two.status.details!.causes).toHaveLength(3);
  });
});
