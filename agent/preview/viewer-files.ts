import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One file of the viewer as it is served. */
export interface ServedFile {
  readonly body: Buffer;
  readonly contentType: string;
}

interface ViewerFiles {
  /** The viewer page, served at `/`. */
  readonly page: ServedFile;
  /** The 401 page: a form that reloads `/` with `?token=`. */
  readonly tokenPage: ServedFile;
  /** The pages' scripts and styles by route. They hold no data, so they need no token (the 401 page needs its styles). */
  readonly assets: ReadonlyMap<string, ServedFile>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

/** The routes of the assets the pages link, and their file names. */
const ASSETS = { '/viewer.js': 'viewer.js', '/scene.js': 'scene.js', '/viewer.css': 'viewer.css', '/token.css': 'token.css' } as const;

/**
 * The files of agent/preview/viewer/, next to this module (`npm run build`
 * copies them into dist/), read once at start. A fixed list: a request path
 * is only ever a key into it, so no part of one reaches the file system.
 */
export function loadViewerFiles(): ViewerFiles {
  const read = (name: string): ServedFile => {
    const path = fileURLToPath(new URL(`./viewer/${name}`, import.meta.url));
    try {
      return { body: readFileSync(path), contentType: CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)]! };
    } catch (err) {
      throw new Error(`cannot read the preview viewer's ${path}: build with 'npm run build', which copies agent/preview/viewer/ into dist/`, { cause: err });
    }
  };
  return {
    page: read('index.html'),
    tokenPage: read('token.html'),
    assets: new Map(Object.entries(ASSETS).map(([route, name]) => [route, read(name)])),
  };
}
