import { fileURLToPath } from 'node:url';

/** Templates, mail templates and static assets. */
export const VIEWS_DIR = fileURLToPath(new URL('../views', import.meta.url));
