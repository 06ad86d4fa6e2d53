"""Read a claims CSV into DuckDB without losing or altering a row: every physical line is accounted for.

Why not a CSV parser straight away: a parser that meets a stray quote reads the rest of the file as
one field, one with a wrong field count pads or drops, and one with a bad byte substitutes U+FFFD.
So one cheap pass over the bytes (``scan``: counts only) decides the path:

* **fast**: a file with no quote, blank line, NUL, bad byte, bare or mixed line end, and exactly
  (columns - 1) commas per line on average, goes straight through DuckDB's CSV reader (quoting off,
  strict); the row count, DuckDB's rejects and the comma count prove every line is one row;
* **careful**: anything else. Python splits the physical lines (each keeps its number) into a DuckDB
  table; a line without a quote is split on commas in SQL; a line with a quote is parsed with the
  ``csv`` module in strict mode, and a quoted field may run onto the next lines (at most
  ``MAX_QUOTED_LINES``, and never over a line that is a whole record by itself) only if the joined
  text is exactly one record with the header's field count; otherwise the line is reported as a
  broken quote and the next line is read on its own. Every other line is reported in ``problems``
  with its number and the reason: blank, wrong number of fields, NUL byte, not UTF-8, too long.

Either way the count is proven against the line count taken from the bytes before the audit goes on.
The result is a DuckDB table ``raw`` (``line`` + the canonical columns as text, NULL when empty) and
the structural problems as (line, reason) pairs; ``validate`` checks the values.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .schema import ALL_COLUMNS, REQUIRED, AuditInputError, map_columns

#: A header with more fields than this is refused (a 5 MB header of commas must not cost gigabytes).
MAX_COLUMNS = 1000
#: The header line must end within this many bytes.
MAX_HEADER_BYTES = 256 * 1024
#: A data line longer than this is reported as malformed, not split.
MAX_LINE_CHARS = 64 * 1024
#: A line longer than this is not even stored (only reported); kept well above ``MAX_LINE_CHARS``.
MAX_STORED_LINE_BYTES = 16 * 1024 * 1024
#: Lines with quotes parsed in Python per batch.
QUOTE_BATCH = 100_000
#: How many physical lines one quoted field may span.
MAX_QUOTED_LINES = 50


@dataclass
class Ingest:
    """What reading the structure of one file gave: ``raw`` is in the DuckDB connection."""

    path: str
    size: int
    header: list[str]
    columns: dict[str, str]  # canonical -> header as spelled
    records: int  # data records seen (fast + slow path + structurally malformed)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    notes: list[str] = field(default_factory=list)
    lines_in_file: int = 0  # physical lines, the header included (counted from the bytes)
    continuation_lines: int = 0  # lines inside multi-line quoted records (part of the record that starts above)


@dataclass
class Scan:
    """One pass over the bytes: line count, and whether the simple fast path can read the file."""

    lines: int  # physical lines, the header included
    newline: bytes
    quote: bool = False
    nul: bool = False
    blank: bool = False
    bad_utf8: bool = False  # the careful path finds which lines
    commas: int = 0  # in the whole file
    bare_cr: bool = False  # a CR that does not end a line (inside a field): DuckDB's reader would split there
    lf_in_cr: bool = False  # a line feed in a file whose lines end with CR
    mixed: bool = False  # CRLF and LF line ends in one file

    @property
    def plain(self) -> bool:
        return not (self.quote or self.nul or self.blank or self.bad_utf8 or self.bare_cr or self.lf_in_cr
                    or self.mixed)


def scan(p: Path, nl: bytes = b"\n", block_size: int = 1 << 24) -> Scan:
    """Count lines and commas, and look for quotes, NUL bytes, blank lines, bare CRs and undecodable bytes.

    Only C-speed byte counts over 16 MiB blocks, no copies: about 0.15 s for 100 MB.
    """
    import codecs

    out = Scan(0, nl)  # the line end is the one that ends the header (read_header)
    decoder = codecs.getincrementaldecoder("utf-8")()
    prev = b""  # the last byte of the previous block
    crlf = cr = 0
    last = b""
    with open(p, "rb") as fh:
        while block := fh.read(block_size):
            out.quote = out.quote or b'"' in block
            out.nul = out.nul or b"\x00" in block
            # A blank line (a shortcut only: the row count check after DuckDB's read catches any other).
            out.blank = out.blank or nl + nl in block or (prev == nl and block.startswith(nl)) \
                or (nl == b"\n" and (b"\n\r\n" in block or (prev == b"\n" and block.startswith(b"\r\n"))))
            if not out.bad_utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    out.bad_utf8 = True
            out.commas += block.count(b",")
            out.lines += block.count(nl)
            if nl == b"\n":
                cr += block.count(b"\r")
                crlf += block.count(b"\r\n") + (prev == b"\r" and block.startswith(b"\n"))
            else:
                out.lf_in_cr = out.lf_in_cr or b"\n" in block  # a line feed in a CR file: careful path
            prev = last = block[-1:]
    if not out.bad_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            out.bad_utf8 = True
    out.bare_cr = cr != crlf
    out.mixed = nl == b"\n" and 0 < crlf < out.lines  # some lines end CRLF, some LF: DuckDB's reader fails
    if last and last != nl:
        out.lines += 1  # a last line without a line end
    return out


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def check_file(p: Path, max_bytes: int, empty: str = "") -> int:
    """Refuse what cannot be audited before reading it (missing, not a regular file, empty, too big);
    return its size. ``empty`` is what the message adds for an empty file."""
    if not p.exists() and not p.is_symlink():
        raise AuditInputError(f"{p}: no such file")
    if not p.is_file():
        raise AuditInputError(f"{p}: not a regular file")
    size = p.stat().st_size
    if size == 0:
        hint = empty or f"no header row; expected columns: {', '.join(REQUIRED)}"
        raise AuditInputError(f"{p}: empty file ({hint})")
    if size > max_bytes:
        raise AuditInputError(f"{p}: file is {size / 1e6:.0f} MB, over the {max_bytes / 1e6:.0f} MB limit "
                              "(split it, or raise --max-mb)")
    return size


def sniff(p: Path, head: bytes) -> None:
    """Refuse what is plainly not CSV text (a spreadsheet, an archive, an image, UTF-16)."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise AuditInputError(f"{p}: UTF-16 text; save the export as UTF-8 CSV")
    if b"\x00" in head[:4096]:
        raise AuditInputError(f"{p}: binary file (NUL bytes), not a CSV text export")
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    if head and control / len(head) > 0.01:
        raise AuditInputError(f"{p}: binary file (control bytes), not a CSV text export")


def read_header(p: Path) -> tuple[list[str], int, bytes]:
    """The header's fields, the byte length of the header line and the file's line end; bounded in bytes
    and fields."""
    with open(p, "rb") as fh:
        head = fh.read(MAX_HEADER_BYTES + 1)
    sniff(p, head)
    end = min((i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0), default=-1)
    if end < 0:
        if len(head) > MAX_HEADER_BYTES:
            raise AuditInputError(f"{p}: the header line is longer than {MAX_HEADER_BYTES // 1024} KiB")
        end = len(head)
    raw = head[:end]
    # The line end is the one that ends the header: CR alone, or LF (CRLF counts as LF, its CR is stripped).
    newline = b"\r" if head[end:end + 1] == b"\r" and head[end + 1:end + 2] != b"\n" else b"\n"
    if raw.count(b",") + 1 > MAX_COLUMNS:
        raise AuditInputError(f"{p}: the header has {raw.count(b',') + 1:,} columns, more than {MAX_COLUMNS:,}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AuditInputError(f"{p}: the header is not UTF-8 text (byte {exc.start + 1})") from None
    try:
        header = next(csv.reader([text], strict=True), [])
    except csv.Error as exc:
        raise AuditInputError(f"{p}: no readable CSV header ({exc})") from None
    return header, end, newline


def _fast_raw(con, p: Path, sc: Scan, ncols: int, index: dict[str, int]) -> bool:
    """Read a file with no quote, blank line, NUL or bad byte straight into ``raw`` with DuckDB's CSV reader.

    Row k is line k + 2 only if DuckDB rejected nothing and read every line: checked, else False (the
    careful path runs instead). DuckDB's reader ignores empty fields after the last column ("a,b,c,,"),
    so the field counts are proven by the file's comma count: with no line short of fields (DuckDB
    rejects those), (columns - 1) commas per line in total means no line has too many.
    """
    if sc.commas != (ncols - 1) * sc.lines or any(ch in str(p) for ch in "*?[{"):
        return False  # a field count that could be off; or a path DuckDB would read as a glob pattern
    import duckdb

    con.execute("SET preserve_insertion_order = true")  # rowid must follow the file
    try:
        return _fast_read(con, p, sc, ncols, index)
    except duckdb.Error:  # anything DuckDB's reader does not like: the careful path reads it
        con.execute("DROP TABLE IF EXISTS pb_fast")
        return False


def _fast_read(con, p: Path, sc: Scan, ncols: int, index: dict[str, int]) -> bool:
    cols = [c for c in ALL_COLUMNS if c in index]
    spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(ncols))
    con.execute(f"""
        CREATE OR REPLACE TABLE pb_fast AS SELECT * FROM read_csv({_sql_str(str(p))}, columns={{{spec}}},
            header=true, delim=',', quote='', escape='', auto_detect=false, store_rejects=true,
            rejects_table='pb_fast_rejects', rejects_scan='pb_fast_scans', strict_mode=true, null_padding=false,
            max_line_size={MAX_STORED_LINE_BYTES}, parallel=true)""")
    n = con.execute("SELECT count(*) FROM pb_fast").fetchall()[0][0]
    rejected = con.execute("SELECT count(*) FROM pb_fast_rejects").fetchall()[0][0]
    if rejected or n != sc.lines - 1:
        con.execute("DROP TABLE pb_fast")
        return False
    select = ", ".join(f"c{index[c]} AS {c}" for c in cols)
    con.execute(f"CREATE OR REPLACE VIEW raw AS SELECT rowid + 2 AS line, {select} FROM pb_fast")
    # From here on every row carries its line number: no query needs the insertion order, and keeping
    # it would hold whole results in memory (a 20M-line file ran out of memory that way).
    con.execute("SET preserve_insertion_order = false")
    return True


def _read_lines(con, p: Path, nl: bytes, block_size: int = 1 << 24) -> list[tuple[int, str]]:
    """Table ``phys(line, t)``: every physical line with its 1-based number, read in Python, block by block.

    Python, not DuckDB's reader, splits the lines here: DuckDB drops over-long lines, keeps or drops
    undecodable ones depending on the file, and ends a line at a bare CR inside a quoted field, any of
    which would shift the numbers. Returns the lines that could not be stored: (line, reason); their
    ``t`` is NULL.
    """
    import pyarrow as pa

    con.execute("CREATE OR REPLACE TABLE phys(line BIGINT, t VARCHAR)")
    problems: list[tuple[int, str]] = []
    number = 1
    carry = b""
    skipping = False  # inside a line longer than MAX_STORED_LINE_BYTES: drop bytes up to its end
    with open(p, "rb") as fh:
        while True:
            block = fh.read(block_size)
            data = carry + block
            if block:
                cut = data.rfind(nl) + 1
                if cut == 0:  # no line end in sight
                    if len(data) > MAX_STORED_LINE_BYTES:
                        if not skipping:
                            problems.append((number, f"line longer than {MAX_STORED_LINE_BYTES // (1024 * 1024)} MiB"))
                        skipping, carry = True, b""
                    else:
                        carry = data
                    continue
                chunk, carry = data[:cut], data[cut:]
                parts = chunk[: -len(nl)].split(nl)
            else:
                chunk, carry = data, b""
                if not chunk:
                    if skipping:  # the file ended inside an over-long last line: it is still a line
                        texts = [None]
                        con.register("pb_block", pa.table({"line": pa.array([number], pa.int64()),
                                                           "t": pa.array(texts, pa.string())}))
                        con.execute("INSERT INTO phys SELECT line, t FROM pb_block")
                        con.unregister("pb_block")
                    break
                parts = chunk.split(nl)
                if chunk.endswith(nl):
                    parts.pop()
            texts: list[str | None] = []
            for part in parts:
                if skipping:  # the rest of an over-long line
                    skipping = False
                    texts.append(None)
                    continue
                if nl == b"\n" and part.endswith(b"\r"):
                    part = part[:-1]
                if len(part) > MAX_STORED_LINE_BYTES:
                    problems.append((number + len(texts),
                                     f"line longer than {MAX_STORED_LINE_BYTES // (1024 * 1024)} MiB"))
                    texts.append(None)
                    continue
                try:
                    texts.append(part.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    problems.append((number + len(texts), f"not UTF-8 text (an undecodable byte at column "
                                                          f"{exc.start + 1}); re-export as UTF-8"))
                    texts.append(None)
            table = pa.table({"line": pa.array(range(number, number + len(texts)), pa.int64()),
                              "t": pa.array(texts, pa.string())})
            con.register("pb_block", table)
            con.execute("INSERT INTO phys SELECT line, t FROM pb_block")
            con.unregister("pb_block")
            number += len(texts)
            if not block:
                break
    return problems


def _parse_quoted(lines: list[tuple[int, str]], neighbours: dict[int, str | None], ncols: int
                  ) -> tuple[list[tuple[int, list[str], str]], list[tuple[int, str]], list[tuple[int, int]]]:
    """The lines that contain a quote: records (line, fields, text), problems, and the (first, last) line
    of every record that spans lines."""
    records: list[tuple[int, list[str], str]] = []
    problems: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    consumed: set[int] = set()
    for line, text in lines:
        if line in consumed:
            continue
        consumed.add(line)
        joined, last = text, line
        if "\x00" in text:
            problems.append((line, "NUL byte in the line (binary data)"))
            continue
        if text.count('"') % 2:  # a quoted field may go on: join the next lines until the quotes pair up
            parts = [text]
            for nxt in range(line + 1, line + MAX_QUOTED_LINES + 1):
                t = neighbours.get(nxt)
                if t is None or "\x00" in t:  # the end of the file, or binary data
                    break
                if t.count('"') % 2:
                    parts.append(t)
                    joined, last = "\n".join(parts), nxt
                    break
                if _whole_record(t, ncols):  # a claim line of its own, not the middle of a note: stop here
                    break
                parts.append(t)
            if last == line:
                problems.append((line, "broken quote: a quoted field that does not close (the lines after it "
                                       "are read on their own)"))
                continue
        try:
            rows = list(csv.reader(io.StringIO(joined, newline=""), strict=True))
        except csv.Error as exc:
            problems.append((line, f"broken quote ({exc}; the lines after it are read on their own)"))
            continue
        if len(rows) != 1:
            problems.append((line, "broken quote: the quotes do not enclose one record (the lines after it "
                                   "are read on their own)"))
            continue
        if len(rows[0]) != ncols:
            problems.append((line, _field_count_reason(len(rows[0]), ncols)))
            if last != line:
                continue  # a multi-line candidate with the wrong shape: the next lines are read on their own
        else:
            records.append((line, rows[0], joined))
            if last != line:
                spans.append((line, last))
        consumed.update(range(line, last + 1))
    return records, problems, spans


def _whole_record(text: str, ncols: int) -> bool:
    """Whether a line without a quote of its own reads as a complete record (the header's field count)."""
    return text.count(",") + 1 == ncols


def _line_table(con, name: str, lines: list[int]) -> None:
    """A one-column temp table of line numbers (via Arrow: fast for many rows)."""
    import pyarrow as pa

    con.register(f"{name}_src", pa.table({"line": pa.array(lines, pa.int64())}))
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT line FROM {name}_src")
    con.unregister(f"{name}_src")


def one_per_line(problems: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Sorted by line, the reasons for one line joined with "; "."""
    by_line: dict[int, list[str]] = {}
    for line, reason in problems:
        if reason not in by_line.setdefault(line, []):
            by_line[line].append(reason)
    return [(line, "; ".join(by_line[line])) for line in sorted(by_line)]


def _field_count_reason(found: int, ncols: int) -> str:
    what = "extra fields" if found > ncols else "too few fields"
    return f"{what}: {found:,} fields where the header has {ncols}"


def ingest_csv(con, path: str | Path, max_bytes: int) -> Ingest:
    """Read ``path`` into the DuckDB table ``raw``; raise ``AuditInputError`` when nothing can be read."""
    p = Path(path)
    size = check_file(p, max_bytes)
    header, _, newline = read_header(p)
    header_notes: list[str] = []
    mapping = map_columns(header, str(p), header_notes)
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        shown = ", ".join(str(h) for h in header[:12]) or "(none)"
        raise AuditInputError(f"{p}: missing required column(s): {', '.join(missing)} (found: {shown})")
    ncols = len(header)
    index = {canon: header.index(spelled) for canon, spelled in mapping.items()}
    sc = scan(p, newline)
    if sc.plain and _fast_raw(con, p, sc, ncols, index):
        # The line as written, for malformed_rows.csv: exact, since the fast path proved there is no quote
        # and every line has the header's number of fields.
        fields = ", ".join(f"coalesce(c{i}, '')" for i in range(ncols))
        con.execute(f"CREATE OR REPLACE VIEW phys AS SELECT rowid + 2 AS line, concat_ws(',', {fields}) AS t "
                    "FROM pb_fast")
        return Ingest(str(p), size, header, mapping, sc.lines - 1, [], header_notes, lines_in_file=sc.lines)
    unreadable = _read_lines(con, p, sc.newline)
    if any(line == 1 for line, _ in unreadable):
        raise AuditInputError(f"{p}: the header line is unreadable ({unreadable[0][1]})")
    problems = list(unreadable)
    counted = con.execute("SELECT count(*) FROM phys").fetchall()[0][0]
    if counted != sc.lines:  # pragma: no cover - both count the same line ends
        raise AuditInputError(f"{p}: could not account for every line ({sc.lines:,} lines, {counted:,} read)")

    cols = [c for c in ALL_COLUMNS if c in mapping]
    con.execute(f"CREATE OR REPLACE TABLE raw (line BIGINT, {', '.join(c + ' VARCHAR' for c in cols)})")

    # Lines with a quote go to the strict Python parser, in batches (an export that quotes every field
    # must not be held in memory at once), with up to MAX_QUOTED_LINES lines after each line whose quotes
    # do not pair up (the rest of a multi-line field).
    quoted = f"t IS NOT NULL AND contains(t, '\"') AND length(t) <= {MAX_LINE_CHARS}"
    stream = con.cursor()
    stream.execute(f"SELECT line, t FROM phys WHERE line > 1 AND {quoted} ORDER BY line")
    inside: set[int] = set()  # lines that continue a multi-line record (few)
    n_records = 0
    while batch := stream.fetchmany(QUOTE_BATCH):
        batch = [(line, t) for line, t in batch if line not in inside]
        odd = [line for line, t in batch if t.count('"') % 2]
        neighbours: dict[int, str | None] = {}
        if odd:
            _line_table(con, "pb_odd", odd)
            neighbours = dict(con.execute(f"""
                SELECT DISTINCT p.line, coalesce(p.t, '') FROM phys p JOIN pb_odd o
                  ON p.line > o.line AND p.line <= o.line + {MAX_QUOTED_LINES}
                WHERE length(p.t) <= {MAX_LINE_CHARS}""").fetchall())
        records, quote_problems, spans = _parse_quoted(batch, neighbours, ncols)
        problems += quote_problems
        for first, last in spans:
            inside.update(range(first + 1, last + 1))
        if records:
            import pyarrow as pa

            slow = pa.table({"line": pa.array([r[0] for r in records], pa.int64()),
                             **{c: pa.array([r[1][index[c]] or None for r in records], pa.string()) for c in cols}})
            con.register("pb_slow", slow)
            con.execute(f"INSERT INTO raw SELECT line, {', '.join(cols)} FROM pb_slow")
            con.unregister("pb_slow")
            n_records += len(records)
    stream.close()
    _line_table(con, "pb_inside", sorted(inside))

    # Every other line: blank, too long, NUL, wrong field count, or split on commas in SQL.
    _line_table(con, "pb_rejected", sorted({line for line, _ in unreadable}))
    con.execute(f"""
        CREATE OR REPLACE TABLE pb_plain AS
        SELECT line, t, length(t) - length(replace(t, ',', '')) + 1 AS nf FROM phys
        WHERE line > 1 AND NOT coalesce({quoted}, false) AND line NOT IN (SELECT line FROM pb_inside)
          AND line NOT IN (SELECT line FROM pb_rejected)""")
    blank = "t IS NULL OR trim(t) = ''"
    for (line,) in con.execute(f"SELECT line FROM pb_plain WHERE {blank} ORDER BY line").fetchall():
        problems.append((line, "empty row"))
    for line, n in con.execute(f"SELECT line, length(t) FROM pb_plain WHERE NOT ({blank}) "
                               f"AND length(t) > {MAX_LINE_CHARS} ORDER BY line").fetchall():
        problems.append((line, f"line longer than {MAX_LINE_CHARS // 1024} KiB ({n:,} characters)"))
    for (line,) in con.execute(f"SELECT line FROM pb_plain WHERE NOT ({blank}) AND length(t) <= {MAX_LINE_CHARS} "
                               "AND contains(t, chr(0)) ORDER BY line").fetchall():
        problems.append((line, "NUL byte in the line (binary data)"))
    ok = f"NOT ({blank}) AND length(t) <= {MAX_LINE_CHARS} AND NOT contains(t, chr(0))"
    for line, n in con.execute(f"SELECT line, nf FROM pb_plain WHERE {ok} AND nf <> {ncols} "
                               "ORDER BY line").fetchall():
        problems.append((line, _field_count_reason(n, ncols)))

    select = ", ".join(f"nullif(s[{index[c] + 1}], '') AS {c}" for c in cols)  # empty = NULL, as in the fast path
    con.execute(f"""
        INSERT INTO raw SELECT line, {select} FROM (
            SELECT line, string_split(t, ',') AS s FROM pb_plain WHERE {ok} AND nf = {ncols})""")
    con.execute("SET preserve_insertion_order = false")  # every row carries its line number now
    n_raw = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    problems = one_per_line(problems)
    continuation = len(inside)
    # The proof that nothing is lost, against the line count taken from the bytes: every data line is a
    # checked row, a malformed one, or inside a multi-line record.
    if n_raw + len(problems) + continuation != sc.lines - 1:  # pragma: no cover - a bug, never the input
        raise AuditInputError(f"{p}: could not account for every line ({sc.lines - 1:,} data lines; "
                              f"{n_raw:,} read, {len(problems):,} malformed, {continuation:,} inside records)")
    notes = list(header_notes)
    if n_records:
        notes.append(f"{n_records:,} line(s) with quoted fields read by the strict parser")
    if continuation:
        notes.append(f"{continuation:,} line(s) were the continuation of a quoted field that spans lines")
    return Ingest(str(p), size, header, mapping, n_raw + len(problems), problems, notes, lines_in_file=sc.lines,
                  continuation_lines=continuation)
