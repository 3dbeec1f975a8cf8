/**
 * docs/policy-api.md carries the field reference generated from the schemas. This test fails when
 * they drift; `SKEIN_UPDATE_DOCS=1 npx jest api/src/crd/reference.test.ts` rewrites the section
 * (like updating a snapshot).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReferenceEnd, ReferenceStart, policyReferenceMarkdown } from './reference';

const docPath = join(__dirname, '../../../docs/policy-api.md');

describe('docs/policy-api.md', () => {
  it('contains the field reference generated from the schemas', () => {
    const doc = readFileSync(docPath, 'utf8');
    const start = doc.indexOf(ReferenceStart);
    const end = doc.indexOf(ReferenceEnd);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const generated = `${ReferenceStart}\n\n${policyReferenceMarkdown()}\n${ReferenceEnd}`;
    const current = doc.slice(start, end + ReferenceEnd.length);
    if (current !== generated && process.env.SKEIN_UPDATE_DOCS === '1') {
      writeFileSync(docPath, doc.slice(0, start) + generated + doc.slice(end + ReferenceEnd.length));
      return;
    }
    expect(current).toBe(generated);
  });

  it('documents every titled type once, linked where it is used', () => {
    const md = policyReferenceMarkdown();
    for (const title of ['HTTPRoute', 'StringMatch', 'Destination', 'TrafficPolicy', 'Source', 'Operation', 'MutualTLS']) {
      expect(md.match(new RegExp(`^### ${title}$`, 'gm'))).toHaveLength(1);
      expect(md).toContain(`(#${title.toLowerCase()})`);
    }
  });
});
