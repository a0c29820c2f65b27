// A tiny YAML emitter for the generators (no dependencies): maps, lists, scalars.
// Output is block style with 2-space indents; strings are quoted only when YAML
// could read them as something else.

const PLAIN = /^[A-Za-z0-9_/.@$^-][A-Za-z0-9_ /.@:,()|$^*+-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~|[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$/i;

export function scalar(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  const s = String(v);
  if (s === '' || !PLAIN.test(s) || RESERVED.test(s) || s.endsWith(' ') || s.includes(': ') || s.includes(' #') || s.endsWith(':')) {
    return JSON.stringify(s);
  }
  return s;
}

const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isEmpty = (v) => (Array.isArray(v) ? v.length === 0 : isMap(v) && Object.keys(v).length === 0);

function emit(v, indent) {
  const pad = ' '.repeat(indent);
  const out = [];
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isMap(item) && !isEmpty(item)) {
        const lines = emit(item, indent + 2);
        lines[0] = `${pad}- ${lines[0].slice(indent + 2)}`;
        out.push(...lines);
      } else if (Array.isArray(item) && item.length) {
        throw new Error('nested lists are not supported');
      } else {
        out.push(`${pad}- ${isEmpty(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`);
      }
    }
  } else if (isMap(v)) {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      if (isEmpty(val)) out.push(`${pad}${scalar(k)}: ${Array.isArray(val) ? '[]' : '{}'}`);
      else if (Array.isArray(val) || isMap(val)) out.push(`${pad}${scalar(k)}:`, ...emit(val, indent + 2));
      else out.push(`${pad}${scalar(k)}: ${scalar(val)}`);
    }
  } else {
    out.push(pad + scalar(v));
  }
  return out;
}

/** One YAML document per object, separated by `---`. */
export function toYamlDocs(docs, header = '') {
  const body = docs.map((d) => emit(d, 0).join('\n')).join('\n---\n');
  return `${header}${body}\n`;
}
