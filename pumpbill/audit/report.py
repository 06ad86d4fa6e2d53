"""The audit's outputs: terminal summary, summary.json, findings.csv, malformed_rows.csv, report.html.

The four files replace the previous four as a set (``grading.outputs.OutputSet``), so a failure
or a kill never leaves a half-written file or a mix of two runs. The HTML report is self-contained: styles
inline, charts as inline SVG (``svg.py``), no script and no external URL, so it opens
offline and can be archived with the claims it describes.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

import pandas as pd

from pumpbill import RULES_VERSION, __version__

from . import outliers, svg
from .catalog import RULE_ORDER, RULES
from .files import write_csv
from .pipeline import AuditResult

NOTICE = "De-identified/synthetic data only; do not paste real patient information."
OUTPUTS = ("findings.csv", "malformed_rows.csv", "summary.json", "report.html")
#: Rows shown in the HTML tables (the CSV files have everything).
HTML_ROWS = 300


def summary(result: AuditResult) -> dict:
    """The machine-readable summary (summary.json, ``--format json``)."""
    c = result.claims
    st = c.stats()
    f = result.findings
    by_rule = f["rule"].value_counts()
    malformed = c.rows_malformed
    return {
        "tool": "pumpbill audit",
        "version": __version__,
        "rules_version": RULES_VERSION,
        "input": {"path": c.path, "bytes": c.size, "format": c.format, "columns": c.columns},
        "engine": result.engine,
        "lines_read": int(c.rows_read),
        "valid_lines": int(st["lines"]),
        "malformed_lines": malformed,
        # The proof that nothing was lost: every row of the file was checked or listed as malformed.
        "files": [{"path": c.path, "format": c.format, "unit": c.unit, "rows_read": int(c.rows_read),
                   "rows_checked": int(st["lines"]), "rows_malformed": malformed,
                   "other_problems": len(c.malformed) - malformed,
                   # CSV: checked against the line count taken from the bytes (the reader refuses to finish
                   # otherwise); 837P: every SV1 segment is a checked or a malformed service line.
                   "lines_in_file": c.lines_in_file, "continuation_lines": c.continuation_lines,
                   "accounted": int(c.rows_read) == int(st["lines"]) + malformed and (
                       c.lines_in_file is None
                       or int(c.rows_read) + int(c.continuation_lines or 0) == c.lines_in_file - 1)}],
        "claims": int(st["claims"]),
        "patients": int(st["patients"]),
        "providers": int(st["providers"]),
        "date_range": st["date_range"],
        "findings": {
            "total": len(f),
            "errors": result.errors,
            "warnings": result.warnings,
            "by_rule": {r: int(by_rule.get(r, 0)) for r in RULE_ORDER},
        },
        "notes": result.notes,
        "timings": result.timings,
        "exit_code": result.exit_code,
        "synthetic": bool(st["synthetic"]),
        "notice": NOTICE,
    }


def text_summary(result: AuditResult, out_dir: Path | None = None, s: dict | None = None) -> str:
    """A short terminal summary: volumes, findings per rule, notes, where the files are.

    ``s`` is ``summary(result)`` when the caller already has it.
    """
    s = s or summary(result)
    lines = [f"pumpbill audit: {s['input']['path']}"]
    lines.append(f"  {s['lines_read']:,} lines read, {s['valid_lines']:,} valid, {s['malformed_lines']:,} malformed"
                 + (" (listed with line numbers in malformed_rows.csv)" if s["malformed_lines"] else ""))
    if s["valid_lines"]:
        lines.append(f"  {s['patients']:,} patients, {s['providers']:,} providers, {s['claims']:,} claims, "
                     f"{s['date_range'][0]} to {s['date_range'][1]}")
    else:
        lines.append("  no valid claim lines: nothing to check")
    fs = s["findings"]
    lines.append(f"  findings: {fs['total']:,} ({fs['errors']:,} errors, {fs['warnings']:,} warnings for review)")
    for r in RULE_ORDER:
        n = fs["by_rule"][r]
        if n:
            lines.append(f"    {r}  {RULES[r].name:<36} {RULES[r].severity:<8} {n:>8,}")
    for note in s["notes"]:
        lines.append(f"  note: {note}")
    if result.synthetic:
        lines.append("  input looks synthetic (pumpbill synth IDs)")
    if out_dir is not None:
        lines.append(f"  report: {out_dir / 'report.html'}  (also findings.csv, malformed_rows.csv, summary.json)")
    lines.append(f"  {NOTICE}")
    return "\n".join(lines)


# --- charts ---------------------------------------------------------------------------------------------


def charts(result: AuditResult) -> dict[str, str]:
    """Trend per month, findings per rule, per provider, and the peer comparisons, as inline SVG."""
    t = result.tables
    out: dict[str, str] = {}
    per_rule = t["per_rule"]
    out["per_rule"] = svg.hbar(
        "Findings per rule (red: error, orange: warning)", (per_rule["rule"] + " " + per_rule["name"]).tolist(),
        per_rule["findings"].tolist(), [svg.ERROR if s == "error" else svg.WARNING for s in per_rule["severity"]])
    monthly = t["monthly"]
    if len(monthly):
        months = monthly["month"].tolist()
        out["volume"] = svg.columns("Pump-service lines per month", months,
                                    [("pump-service lines", monthly["pump_service_lines"].tolist(), svg.NEUTRAL)],
                                    height=220, y_label="lines")
        rules = [r for r in RULE_ORDER if r in monthly.columns]
        out["monthly"] = svg.columns("Findings per month, by rule", months,
                                     [(r, monthly[r].tolist(), svg.PALETTE[i % len(svg.PALETTE)])
                                      for i, r in enumerate(rules)], y_label="findings")
    pp = t["per_provider"].assign(total=lambda d: d["errors"] + d["warnings"])
    pp = pp.loc[pp["total"] > 0].sort_values(["errors", "total"], ascending=False).head(25)
    if len(pp):
        out["per_provider"] = svg.columns("Findings per provider (top 25 by errors)", pp["provider_id"].tolist(),
                                          [("errors", pp["errors"].tolist(), svg.ERROR),
                                           ("warnings", pp["warnings"].tolist(), svg.WARNING)], y_label="findings")
    for key, title in (("physician_share", "AUD01: 62370/95991 share of refill lines"),
                       ("modifier25_rate", "AUD02: pump-service days with E/M + 25")):
        d = t[key]
        med = d["peer_median"].dropna()
        out[key] = svg.scatter(title, d["n"].tolist(), d["rate"].fillna(float("nan")).tolist(),
                               d["flagged"].tolist(), float(med.iloc[0]) if len(med) else None,
                               "volume (lines or pump-service days)", "rate")
    return out


# --- HTML -------------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;color:#222;
padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{border:1px solid #ddd;padding:.25em .5em;
text-align:left;vertical-align:top}th{background:#f3f3f3}tr:nth-child(even) td{background:#fafafa}
.notice{background:#fff4e5;border:1px solid #f0b35a;padding:.6em 1em;border-radius:4px}
.synthetic{background:#eef6ff;border:1px solid #8ab4e8;padding:.6em 1em;border-radius:4px}
.error{color:#b03a2e;font-weight:600}.warning{color:#b9770e;font-weight:600}
svg{max-width:100%;height:auto}.scroll{overflow-x:auto}code{background:#f3f3f3;padding:0 .2em}
"""


_SECTIONS = (("summary", "Summary"), ("per-rule", "Per rule"), ("trend", "Trend"), ("per-provider", "Per provider"),
             ("peers", "Peers"), ("findings", "Findings"), ("malformed", "Malformed rows"), ("rules", "Rules"))


def _table(df: pd.DataFrame, limit: int = HTML_ROWS) -> str:
    more = len(df) - limit
    shown = df.head(limit)
    out = "<div class='scroll'>" + shown.to_html(index=False, escape=True, border=0, na_rep="") + "</div>"
    if more > 0:
        out += f"<p>... {more:,} more rows in the CSV file.</p>"
    return out


def render_html(result: AuditResult, s: dict | None = None) -> str:
    """The whole report as one self-contained HTML page (``s``: ``summary(result)`` if at hand)."""
    s = s or summary(result)
    pics = charts(result)
    e = html.escape
    fs = s["findings"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>pumpbill audit: {e(Path(s['input']['path']).name)}</title><style>{_CSS}</style></head><body>",
        "<h1>Practice audit: pump-service billing</h1>",
        "<nav>" + " | ".join(f"<a href='#{k}'>{v}</a>" for k, v in _SECTIONS) + "</nav>",
        f"<p class='notice'><strong>{e(NOTICE)}</strong> Findings are for review by a coder; "
        "warnings are patterns, not errors.</p>",
    ]
    if result.synthetic:
        parts.append("<p class='synthetic'>This input looks synthetic: its IDs come from <code>pumpbill synth</code> "
                     "(fake patients, providers and claims with seeded errors).</p>")
    rows = [
        ("File", e(s["input"]["path"])),
        ("Lines read / valid / malformed", f"{s['lines_read']:,} / {s['valid_lines']:,} / {s['malformed_lines']:,}"),
        ("Patients / providers / claims", f"{s['patients']:,} / {s['providers']:,} / {s['claims']:,}"),
        ("Dates of service", " to ".join(s["date_range"]) if s["date_range"] else "none"),
        ("Findings", f"{fs['total']:,}: <span class='error'>{fs['errors']:,} errors</span>, "
                     f"<span class='warning'>{fs['warnings']:,} warnings</span>"),
        ("Exit code", str(s["exit_code"])),
        ("Rules", f"pumpbill {e(s['version'])}, rules {e(s['rules_version'])}"),
    ]
    parts.append("<h2 id='summary'>Summary</h2><table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
                 + "</table>")
    if s["notes"]:
        parts.append("<h2 id='notes'>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in s["notes"]) + "</ul>")
    parts.append("<h2 id='per-rule'>Per rule</h2>")
    parts.append(pics["per_rule"])
    parts.append(_table(result.tables["per_rule"]))
    if "monthly" in pics:
        parts.append("<h2 id='trend'>Trend per month</h2>")
        parts.append(pics["volume"] + "<br>" + pics["monthly"])
        parts.append(_table(result.tables["monthly"]))
    parts.append("<h2 id='per-provider'>Per provider</h2>")
    if "per_provider" in pics:
        parts.append(pics["per_provider"])
    parts.append(_table(result.tables["per_provider"]))
    parts.append("<h2 id='peers'>Peer comparisons (warnings for review)</h2>")
    parts.append(pics["physician_share"] + pics["modifier25_rate"])
    parts.append(f"<p>{e(_method_text())}</p>")
    for key, title in (("physician_share", "62370/95991 share of refill lines (AUD01)"),
                       ("modifier25_rate", "Pump-service days with an E/M carrying modifier 25 (AUD02)")):
        parts.append(f"<h3>{e(title)}</h3>")
        parts.append(_table(result.tables[key].round(3)))
    parts.append(f"<h2 id='findings'>Findings ({fs['total']:,})</h2>")
    parts.append(_table(result.findings.drop(columns=["source"])) if fs["total"] else "<p>No findings.</p>")
    parts.append(f"<h2 id='malformed'>Malformed rows ({s['malformed_lines']:,})</h2>")
    parts.append("<p>These lines were skipped; the line number is the file's line (the header is line 1).</p>")
    parts.append(_table(result.claims.malformed) if s["malformed_lines"] else "<p>None.</p>")
    parts.append("<h2 id='rules'>The rules</h2><table><tr><th>Rule</th><th>Name</th><th>Severity</th>"
                 "<th>What and why</th><th>Source</th></tr>")
    for r in RULE_ORDER:
        rule = RULES[r]
        parts.append(f"<tr><td>{r}</td><td>{e(rule.name)}</td><td>{rule.severity}</td><td>{e(rule.docs)}</td>"
                     f"<td>{e(rule.facts)}</td></tr>")
    parts.append("</table>")
    parts.append(f"<p class='notice'>{e(NOTICE)}</p></body></html>")
    return "\n".join(parts)


def _method_text() -> str:
    o = outliers
    return (f"Method: providers with at least {o.MIN_VOLUME} lines (or pump-service days) are compared when at "
            f"least {o.MIN_PEERS} qualify. The peer rate is the median of their rates. A provider is flagged "
            f"when its robust z-score (distance to the median over 1.4826 x MAD, at least "
            f"{o.MIN_SPREAD:.2f}) exceeds {o.ROBUST_Z} and its binomial z-score (standard error from the "
            f"provider's number of patients) exceeds {o.BINOMIAL_Z}. Only high rates are flagged.")


def write_outputs(result: AuditResult, out_dir: str | Path, s: dict | None = None) -> dict[str, Path]:
    """Write the four output files as a set (``grading.outputs.OutputSet``: a folder swap, a lock against a
    second run, files the audit did not write are kept); return their paths."""
    from pumpbill.grading.outputs import OutputSet

    s = s or summary(result)
    out = Path(out_dir)
    paths = {name: out / name for name in OUTPUTS}
    with OutputSet(out, command="pumpbill audit", legacy=OUTPUTS, legacy_prefixes=()) as o:
        o.write("findings.csv", _csv_text(result.findings))
        o.write("malformed_rows.csv", _csv_text(result.claims.malformed))
        o.write("summary.json", json.dumps(s, indent=2) + "\n")
        o.write("report.html", render_html(result, s))
        o.commit()  # the four files replace the previous four as a set, never a mix of two runs
    return paths


def _csv_text(frame: pd.DataFrame) -> str:
    buf = io.StringIO()
    write_csv(frame, buf)
    return buf.getvalue()
