import { execFile } from 'node:child_process';

// pdf-parse (pdf.js) loads its worker with a dynamic import, which jest's module sandbox refuses;
// a plain node process reads the PDF instead. The PDF goes in on stdin, its text comes out.
const READ_PDF = `
const { PDFParse } = require('pdf-parse');
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', async () => {
  const { text } = await new PDFParse({ data: Buffer.concat(chunks) }).getText();
  process.stdout.write(text);
});`;

/** The text of a PDF, as pdf-parse reads it (lines separated by "\\n"). */
export function pdfText(pdf: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', READ_PDF], { cwd: __dirname }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
    child.stdin?.end(pdf);
  });
}
