"""Print an evaluation report as tables (rich), the way `callqa eval` shows it."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from callqa.eval.compare import Report
from nlp.policy import FLAG_CODES


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_report(console: Console, report: Report, title: str) -> None:
    summary = report.summary()
    console.print(f"[bold]evaluation[/bold]: {title}: {report.calls} calls" + (f", {len(report.failed)} not scored" if report.failed else ""))
    fields = Table("field", "accuracy", "n", title="per field")
    for name, value in summary["fields"].items():
        fields.add_row(name, _pct(value["accuracy"]), str(value["n"]))
    p, r, f1 = report.offer_prf()
    fields.add_row("offer detection (P / R / F1)", f"{p:.2f} / {r:.2f} / {f1:.2f}", str(report.offers_tp + report.offers_fn))
    fields.add_row("closing attempts MAE", _pct(summary["closing_attempts_mae"]), str(len(report.closes_abs_error)))
    fields.add_row("after-decline attempts MAE", _pct(summary["after_decline_mae"]), str(len(report.after_decline_abs_error)))
    console.print(fields)
    flags = Table("flag", "precision", "recall", "F1", "support", title="per flag")
    for code in FLAG_CODES:
        fp, fr, ff1, support = report.flag_prf(code)
        counts = report.flags[code]
        if support or counts["fp"]:
            flags.add_row(code, f"{fp:.2f}", f"{fr:.2f}", f"{ff1:.2f}", str(support))
    mp, mr, mf1, msupport = report.flag_prf()
    flags.add_row("[bold]all flags (micro)[/bold]", f"{mp:.2f}", f"{mr:.2f}", f"[bold]{mf1:.2f}[/bold]", str(msupport))
    console.print(flags)
    review = summary["needs_review"]
    console.print(f"needs review (not counted above): {review['flags']} flag(s), {review['in_labels']} of them in the labels")


def markdown_report(report: Report, title: str) -> str:
    """The same figures as print_report, as Markdown tables (for the README)."""
    summary = report.summary()
    p, r, f1 = report.offer_prf()
    lines = [f"**{title}** ({report.calls} calls)", "", "| field | accuracy | n |", "|---|---|---|"]
    lines += [f"| {name} | {_pct(v['accuracy'])} | {v['n']} |" for name, v in summary["fields"].items()]
    lines += [
        f"| offer detection P / R / F1 | {p:.2f} / {r:.2f} / {f1:.2f} | {report.offers_tp + report.offers_fn} |",
        f"| closing attempts MAE | {_pct(summary['closing_attempts_mae'])} | {len(report.closes_abs_error)} |",
        f"| after-decline attempts MAE | {_pct(summary['after_decline_mae'])} | {len(report.after_decline_abs_error)} |",
        "",
        "| flag | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for code in FLAG_CODES:
        fp, fr, ff1, support = report.flag_prf(code)
        if support or report.flags[code]["fp"]:
            lines.append(f"| {code} | {fp:.2f} | {fr:.2f} | {ff1:.2f} | {support} |")
    mp, mr, mf1, msupport = report.flag_prf()
    lines.append(f"| **all flags (micro)** | {mp:.2f} | {mr:.2f} | **{mf1:.2f}** | {msupport} |")
    review = summary["needs_review"]
    lines += ["", f"Needs review (not counted above): {review['flags']} flag(s), {review['in_labels']} of them in the labels."]
    return "\n".join(lines) + "\n"
