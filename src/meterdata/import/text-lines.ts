/**
 * Splits a stream of text chunks into batches of complete lines (without their `\r\n` / `\n`),
 * one batch per chunk, so a file of any size is read line by line in bounded memory.
 */
export async function* textLines(chunks: AsyncIterable<string>): AsyncGenerator<string[]> {
  let rest = '';
  let first = true;
  for await (let chunk of chunks) {
    if (first && chunk.length > 0) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = false;
    }
    const text = rest + chunk;
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
    }
    if (lines.length > 0) yield lines;
  }
  if (rest.endsWith('\r')) rest = rest.slice(0, -1);
  if (rest.length > 0) yield [rest];
}
