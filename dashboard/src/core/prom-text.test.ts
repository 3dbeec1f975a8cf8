import { parsePrometheusText } from './prom-text';

describe('Prometheus text', () => {
  it.each([
    ['a sample with labels', 'skein_requests_total{reporter="source",response_code="200"} 42', [{ name: 'skein_requests_total', labels: { reporter: 'source', response_code: '200' }, value: 42 }]],
    ['no labels, a timestamp', 'up 1 1700000000000', [{ name: 'up', labels: {}, value: 1 }]],
    ['empty braces', 'up{} 3', [{ name: 'up', labels: {}, value: 3 }]],
    ['escapes in label values', 'm{a="q\\"uote",b="back\\\\slash",c="new\\nline"} 1', [{ name: 'm', labels: { a: 'q"uote', b: 'back\\slash', c: 'new\nline' }, value: 1 }]],
    ['markup kept as text', 'm{w="<img src=x onerror=alert(1)>"} 1', [{ name: 'm', labels: { w: '<img src=x onerror=alert(1)>' }, value: 1 }]],
    ['a trailing comma', 'm{a="1",} 2', [{ name: 'm', labels: { a: '1' }, value: 2 }]],
    ['+Inf bucket bound and exponent values', 'h_bucket{le="+Inf"} 1.5e3', [{ name: 'h_bucket', labels: { le: '+Inf' }, value: 1500 }]],
    ['special values', 'a +Inf\nb -Inf', [{ name: 'a', labels: {}, value: Infinity }, { name: 'b', labels: {}, value: -Infinity }]],
    ['comments and blank lines', '# HELP m help\n# TYPE m counter\n\nm 1\n', [{ name: 'm', labels: {}, value: 1 }]],
  ])('reads %s', (_name, text, samples) => {
    expect(parsePrometheusText(text)).toEqual({ samples, malformed: 0 });
  });

  it.each([
    ['no value', 'm{a="1"}'],
    ['an unterminated label value', 'm{a="1} 2'],
    ['an unknown escape', 'm{a="\\x"} 1'],
    ['a label without quotes', 'm{a=1} 1'],
    ['a repeated label', 'm{a="1",a="2"} 1'],
    ['a value that is not a number', 'm 12abc'],
    ['a line that is not a metric', '{a="1"} 1'],
    ['too many fields', 'm 1 2 3'],
  ])('counts %s as malformed and keeps the good lines', (_name, bad) => {
    expect(parsePrometheusText(`ok 1\n${bad}\nok 2`)).toEqual({ samples: [{ name: 'ok', labels: {}, value: 1 }, { name: 'ok', labels: {}, value: 2 }], malformed: 1 });
  });

  it('keeps only the families asked for', () => {
    expect(parsePrometheusText('a 1\nb{x="y"} 2\nc 3', (n) => n === 'b').samples).toEqual([{ name: 'b', labels: { x: 'y' }, value: 2 }]);
  });
});
