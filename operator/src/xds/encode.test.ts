import fs from 'node:fs';
import path from 'node:path';
import { toJson } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { xdsRegistry } from '../../../api/src/xds';
import { encodeResource } from './encode';

const testdata = path.join(__dirname, '../core/translate/testdata');

describe('encodeResource', () => {
  it('encodes every golden resource to protobuf and back without losing a field', () => {
    let count = 0;
    for (const file of fs.readdirSync(testdata).filter((f) => f.endsWith('.golden.json'))) {
      const golden = JSON.parse(fs.readFileSync(path.join(testdata, file), 'utf8')) as Record<string, Record<string, unknown>[]>;
      for (const resource of Object.values(golden).flat()) {
        const any = encodeResource(resource);
        const message = anyUnpack(any, xdsRegistry)!;
        const back = toJson(xdsRegistry.getMessage(message.$typeName)!, message, { registry: xdsRegistry, useProtoFieldName: true, alwaysEmitImplicit: true }) as Record<string, unknown>;
        expect({ '@type': any.typeUrl, ...back }).toMatchObject(resource);
        count++;
      }
    }
    expect(count).toBeGreaterThan(10);
  });

  it('names the resource and the field when JSON does not fit the schema', () => {
    expect(() => encodeResource({ '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'c', no_such_field: 1 })).toThrow(/Cluster "c".*no_such_field/);
    expect(() => encodeResource({ name: 'x' })).toThrow(/without @type/);
    expect(() => encodeResource({ '@type': 'type.googleapis.com/nope.Nope', name: 'x' })).toThrow(/no protobuf schema/);
  });
});
