// Node.js flags of the production server, shared by `npm start` and the benchmark so that what
// is measured is what runs.
//
// The heap cap: on a machine with gigabytes free, V8 lets the old generation grow before it
// collects, and under sustained load the server's memory climbed past 400 MB while what it
// really holds stays under 200 MB. With a cap it collects sooner and stays near 230 MB, with no
// throughput lost beyond the noise of the measurement. A --max-old-space-size in NODE_OPTIONS
// takes precedence.
export const SERVER_HEAP_MB = 320;

export function serverNodeFlags(env = process.env) {
  return /--max-old-space-size/.test(env.NODE_OPTIONS ?? "") ? [] : [`--max-old-space-size=${SERVER_HEAP_MB}`];
}
