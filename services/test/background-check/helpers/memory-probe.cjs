// Preloaded into the service process by memory.test.ts (node --expose-gc --require): every 25 ms
// a full GC, then the JS-held memory (heap used + array buffers, the photo's chunks included) is
// sampled; the peak since the last SIGUSR2 is written to MEMORY_PROBE_FILE. A GC before each
// sample measures what is held, not the chunks' garbage waiting for collection.
// Main thread only: --require also runs in tsx's module-hooks thread, whose figures are not the
// service's.
'use strict';
const { renameSync, writeFileSync } = require('node:fs');
const { isMainThread } = require('node:worker_threads');
const file = process.env.MEMORY_PROBE_FILE;
if (isMainThread) start();

function start() {
  const held = () => {
    globalThis.gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  let base = held();
  let peak = base;
  // Written aside and renamed: the test reads the file while this writes it, and a reader must
  // never see it truncated.
  const publish = () => {
    writeFileSync(`${file}.tmp`, JSON.stringify({ base, peak }));
    renameSync(`${file}.tmp`, file);
  };
  process.on('SIGUSR2', () => {
    base = held();
    peak = base;
    publish();
  });
  setInterval(() => {
    peak = Math.max(peak, held());
    publish();
  }, 25).unref();
}
