// Text extraction per file type. PDFs go through unpdf (PDF.js, serverless build).
import { extractText } from 'unpdf';

export async function extract(fileType: string, data: Buffer): Promise<string> {
  if (fileType === 'pdf') {
    const { text } = await extractText(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), { mergePages: true });
    return (Array.isArray(text) ? text.join('\n') : text).replace(/\u0000/g, '');
  }
  let s = data.toString('utf8');
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  return s.replace(/\r\n?/g, '\n');
}
