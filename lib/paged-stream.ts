// A download read from the database a page at a time, only as fast as the client takes it: the
// stream asks for the next page when the one queued has been read (`pull`, with one chunk of
// read-ahead at most), so the server holds about one page whatever the size of the whole.

/**
 * `header` is sent first; `page()` returns the next page's text and whether it was the last one.
 * Each page is encoded once and queued as one chunk.
 */
export function pagedTextStream(opts: {
  header?: string;
  page: () => { text: string; last: boolean };
  empty?: boolean;
  /** Called once when the stream ends, fails or is cancelled (a connection of its own to close). */
  close?: () => void;
}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    opts.close?.();
  };
  if (opts.empty) finish();
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (opts.header) controller.enqueue(encoder.encode(opts.header));
      },
      // Called only when the reader has taken what was queued: one page is read per chunk asked for.
      pull(controller) {
        if (done) return controller.close();
        let page: { text: string; last: boolean };
        try {
          page = opts.page();
        } catch (err) {
          finish();
          throw err;
        }
        if (page.text) controller.enqueue(encoder.encode(page.text));
        if (page.last) {
          finish();
          controller.close();
        }
      },
      cancel() {
        finish();
      },
    },
    // One chunk (one page) read ahead of the reader at most.
    { highWaterMark: 1 },
  );
}

/** `mdr-actions-20260131T120000Z.ndjson`: what, when it was made (UTC), the format. */
export function downloadFilename(what: string, format: string, at: number): string {
  return `${what}-${new Date(at).toISOString().replace(/[-:]|\.\d{3}/g, "")}.${format}`;
}

export const DOWNLOAD_CONTENT_TYPES = {
  ndjson: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8",
} as const;
