import { readFileSync } from 'node:fs';
import { ErrorCode, VigilError } from '../errors.js';

/** One class name a line, in the model's class-index order; blank lines at the end are ignored. */
export function readLabels(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new VigilError(ErrorCode.LABELS_READ, `cannot read labels file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const labels = text.split(/\r?\n/).map((l) => l.trim());
  while (labels.length > 0 && labels[labels.length - 1] === '') labels.pop();
  if (labels.length === 0) throw new VigilError(ErrorCode.LABELS_READ, `labels file ${file} is empty`);
  return labels;
}
