export { BUILTIN_PLUGINS } from './builtin-plugins.js';
export { EXIT } from './exit-codes.js';
export { main } from './main.js';
