import { buffer } from 'node:stream/consumers';
import yazl from 'yazl';

/** A real zip archive holding one file, like a publication. */
export async function zipFixture(innerName = 'R63_TEST.csv', content = 'id;valeur\n1;42\n'): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(content), innerName, { mtime: new Date('2026-01-01T00:00:00Z') });
  zip.end();
  return buffer(zip.outputStream);
}
