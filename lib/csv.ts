// CSV as RFC 4180 writes it, safe to open in a spreadsheet.
//   - A field holding a double quote, a comma, CR or LF is quoted, its quotes doubled; records end in CRLF.
//   - CSV injection (OWASP): a cell that starts with = + - @, a tab or CR is a formula to Excel,
//     LibreOffice and Google Sheets (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3+cmd|' /C calc'!A0`). Such a
//     cell gets a leading single quote, which the spreadsheet shows as text and does not evaluate,
//     and is quoted. Audit data is text from requests (reasons, UPNs, message ids): it must never
//     run on the reviewer's machine.

/** The characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell: null and undefined are empty; everything else is its text, neutralised and quoted as needed. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  const formula = FORMULA_START.test(text);
  if (formula) text = `'${text}`;
  return formula || NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, CRLF-terminated. */
export function csvRecord(cells: readonly (string | number | boolean | null | undefined)[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}
