/**
 * Splits one CSV line on `separator`, honouring double-quoted fields (`"a;b"`, `"say ""hi"""`).
 * Returns null when a quoted field is not closed on this line, so callers can report the line.
 */
export function splitCsvLine(line: string, separator = ';'): string[] | null {
  if (!line.includes('"')) return line.split(separator);
  const fields: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
    } else if (ch === separator) {
      fields.push(field);
      field = '';
    } else {
      field += ch;
    }
    i++;
  }
  if (quoted) return null;
  fields.push(field);
  return fields;
}
