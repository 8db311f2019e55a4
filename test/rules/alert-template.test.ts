/** Alert templates: the alert dialect of the project's Go-template engine, against Prometheus's documented outputs. */
import { describe, expect, it } from 'vitest';
import { ALERT_TEMPLATE_IMPLEMENTATIONS, compileTemplate } from '../../src/pipeline/template.js';
import { ALERT_TEMPLATE_FUNCTIONS, parseTemplate, templateFields } from '../../src/query/template.js';

function render(t: string, value = 0, labels: Record<string, string> = {}): string {
  const nodes = parseTemplate(t, 'alert');
  return compileTemplate(nodes, templateFields(nodes)).render({ labels: {}, line: '', alert: { labels, externalLabels: { cluster: 'prod' }, value } });
}

describe('alert templates', () => {
  const CASES: [string, number, string][] = [
    ['{{ $value }}', 11, '11'],
    ['{{ $value }}', 1234567, '1.234567e+06'],
    ['{{ .Value }}', 0.5, '0.5'],
    ['{{ printf "%.2f" $value }}', 11, '11.00'],
    ['{{ $value | humanize }}', 1234567, '1.235M'],
    ['{{ humanize $value }}', 0.000123, '123u'],
    ['{{ humanize $value }}', 12, '12'],
    ['{{ humanize $value }}', 0, '0'],
    ['{{ humanize1024 $value }}', 1024, '1ki'],
    ['{{ humanize1024 $value }}', 1572864, '1.5Mi'],
    ['{{ humanizeDuration $value }}', 0, '0s'],
    ['{{ humanizeDuration $value }}', 60, '1m 0s'],
    ['{{ humanizeDuration $value }}', 3661, '1h 1m 1s'],
    ['{{ humanizeDuration $value }}', 172800, '2d 0h 0m 0s'],
    ['{{ humanizeDuration $value }}', 1.5, '1.5s'],
    ['{{ humanizeDuration $value }}', 0.1, '100ms'],
    ['{{ humanizePercentage $value }}', 0.1234567, '12.35%'],
    ['{{ humanizeTimestamp $value }}', 1435065584.128, '2015-06-23 13:19:44.128 +0000 UTC'],
    ['{{ reReplaceAll "(a)b" "x$1" "abab" }}', 0, 'xaxa'],
    ['{{ $labels.pod | toUpper }} in {{ $externalLabels.cluster }}', 0, 'WEB-1 in prod'],
    ['{{ .Labels.pod }}/{{ .ExternalLabels.cluster }}', 0, 'web-1/prod'],
    ['{{ $labels.missing }}', 0, ''],
    ['{{ if gt $value 10.0 }}high{{ else }}low{{ end }}', 11, 'high'],
    ['{{ if match "^web" $labels.pod }}web{{ end }}', 0, 'web'],
    ['{{ stripPort "host:9090" }} {{ stripDomain "a.example.com:80" }}', 0, 'host a:80'],
  ];
  it.each(CASES)('%s with $value=%s renders %j', (t, v, want) => {
    expect(render(t, v, { pod: 'web-1' })).toBe(want);
  });

  it('has an implementation for every alert function, and log templates do not see them', () => {
    expect(Object.keys(ALERT_TEMPLATE_IMPLEMENTATIONS).sort()).toEqual(Object.keys(ALERT_TEMPLATE_FUNCTIONS).sort());
    expect(() => parseTemplate('{{ humanize .x }}')).toThrow('function "humanize" not defined');
    expect(() => parseTemplate('{{ $value }}')).toThrow('template variables ($…) are not supported');
    expect(() => parseTemplate('{{ .pod }}', 'alert')).toThrow('undefined field ".pod"');
  });
});
