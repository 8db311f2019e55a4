/**
 * Go's `regexp.Expand`: the replacement template language of `label_replace`,
 * `| regexReplaceAll`-style template functions and `| line_format`'s regex helpers, in one
 * place. `$1`, `${1}`, `$name`, `${name}` insert a capture group, `$$` a dollar sign.
 *
 * Go's rules (`regexp.extract`): a name is the longest run of letters, digits and `_`
 * (Unicode categories L and Nd); a name of digits only is a group number unless it has a
 * leading zero or is 9 digits or longer (then it is a name); a name that names no group, or a
 * group that did not take part, inserts nothing; a malformed reference (`$` followed by no
 * name, `${` with no closing brace) leaves the `$` as literal text. `$1x` names the group
 * `1x`, not group 1 followed by `x`: write `${1}x`.
 */

const decoder = new TextDecoder();
const WORD = /[\p{L}\p{Nd}_]/u;

/**
 * Expands `template` for one match. `slots` are the match's capture offsets into `bytes`
 * (UTF-8; `-1` for a group that did not take part); `names[i]` is group i's name (index 0
 * unused, `null` when unnamed).
 */
export function expandTemplate(template: string, bytes: Uint8Array, slots: Int32Array, names: readonly (string | null)[]): string {
  const group = (i: number): string => (2 * i + 1 < slots.length && slots[2 * i]! >= 0 ? decoder.decode(bytes.subarray(slots[2 * i]!, slots[2 * i + 1]!)) : '');
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) break;
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const brace = template[i] === '{';
    let j = brace ? i + 1 : i;
    const nameStart = j;
    while (j < template.length) {
      const ch = String.fromCodePoint(template.codePointAt(j)!);
      if (!WORD.test(ch)) break;
      j += ch.length;
    }
    const name = template.slice(nameStart, j);
    if (name === '' || (brace && template[j] !== '}')) {
      out += '$'; // malformed: the `$` is literal text
      continue;
    }
    if (brace) j++;
    i = j;
    const isNumber = /^[0-9]+$/.test(name) && !(name.length > 1 && name[0] === '0') && name.length <= 9;
    if (isNumber) out += group(Number(name));
    else {
      const index = names.indexOf(name);
      if (index > 0) out += group(index);
    }
  }
  return out + template.slice(i);
}
