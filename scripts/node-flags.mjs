// Node.js flags of the production server, shared by `npm start` and the benchmark so that what
// is measured is what runs.
//
// The heap cap: on a machine with gigabytes free, V8 lets the old generation grow before it
// collects, and under sustained load the server's memory climbed past 400 MB while what it
// really holds stays under 200 MB. With a cap it collects sooner and stays near 230 MB, with no
// throughput lost beyond the noise of the measurement. A --max-old-space-size in NODE_OPTIONS
// takes precedence.
export const SERVER_HEAP_MB = 320;

// The young generation's cap: V8 grows each semi-space up to 16 MB under a high allocation rate (a
// large export, a burst of requests) and keeps it, about 30 MB of RSS for good after the first one.
// At 8 MB a scavenge comes twice as often and each costs the same (it copies what survives, not
// the space): the export of a million actions grew the RSS of a fresh server by 10 MB less. A
// --max-semi-space-size in NODE_OPTIONS takes precedence.
export const SERVER_SEMI_SPACE_MB = 8;

export function serverNodeFlags(env = process.env) {
  const options = env.NODE_OPTIONS ?? "";
  return [
    ...(/--max-old-space-size/.test(options) ? [] : [`--max-old-space-size=${SERVER_HEAP_MB}`]),
    ...(/--max-semi-space-size/.test(options) ? [] : [`--max-semi-space-size=${SERVER_SEMI_SPACE_MB}`]),
  ];
}
