// The core's stand-in for @types/node. Some dependencies' declarations (apache-arrow's) say
// `/// <reference types="node" />`; with `typeRoots` pointing here, that reference finds this
// empty file instead of Node's types, so `process`, `Buffer` and `node:` modules stay unknown
// to the core (tsconfig.core.json) and using one there fails to compile.
export {};
