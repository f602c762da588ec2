// zip-stream ships no types; src/report/bundle/zip.ts declares the part it uses.
declare module 'zip-stream';
