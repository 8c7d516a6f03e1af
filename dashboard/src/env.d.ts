// The dashboard runs in a browser. The repository's root type-check (tsconfig.json, Node-oriented) includes
// dashboard/src too, so the DOM's types are brought in here rather than only in dashboard/tsconfig.json.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
