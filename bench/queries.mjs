// The whole-store pod queries of issue 13's table, each with ripgrep's equivalent, shared by
// every bench script (run.mjs, kernel-store.mjs, kernel-search.mjs) so their rows stay the
// same queries. A row is `{ name, q, rg }`: `rg` is the argument list of one `rg -c`.
// Each script adds its own rows (node logs, one hour, pipeline stages…) after these.

/** Every pod target. */
export const ALL = 'pod{namespace=~".*"}';

/** The whole-store pod queries, in the order the tables print them. */
export const POD_QUERIES = [
  { name: 'rare literal (one trace id)', q: `${ALL} |= "RARE-7f3a"`, rg: ['-F', '-e', 'RARE-7f3a'] },
  { name: 'common literal HTTP/1.1', q: `${ALL} |= "HTTP/1.1"`, rg: ['-F', '-e', 'HTTP/1.1'] },
  { name: 'negated != "kube-probe"', q: `${ALL} != "kube-probe"`, rg: ['-F', '-v', '-e', 'kube-probe'] },
  { name: 'two literals', q: `${ALL} |= "GET" |= "/api/v1"`, rg: ['-e', 'GET.*/api/v1|/api/v1.*GET'] },
  { name: 'regex user/[0-9]+', q: `${ALL} |~ "user/[0-9]+"`, rg: ['-e', 'user/[0-9]+'] },
  { name: 'regex (GET|POST) /api/v[12]/', q: `${ALL} |~ "(GET|POST) /api/v[12]/"`, rg: ['-e', '(GET|POST) /api/v[12]/'] },
  { name: 'regex (?i)error', q: `${ALL} |~ "(?i)error"`, rg: ['-e', '(?i)error'] },
  { name: 'hostile (a+)+$', q: `${ALL} |~ "(a+)+$"`, rg: ['-e', '(a+)+$'] },
  { name: 'hostile (x+x+)+y', q: `${ALL} |~ "(x+x+)+y"`, rg: ['-e', '(x+x+)+y'] },
  { name: 'Korean literal 결제 실패', q: `${ALL} |= "결제 실패"`, rg: ['-F', '-e', '결제 실패'] },
];
