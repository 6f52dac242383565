"""Measure the indicator table against the gold list of main targets (evals/indicators_gold.jsonl).

    python -m evals.indicators_eval --data-dir D [--build] [--gold FILE]

--build ingests corpus/ and ../shared/corpora/provinces into D first. Reported:
  recall          gold targets with a record of the same source whose value text equals the gold value
                  (after NFC and whitespace collapse)
  value exact     of the gold targets whose figures were extracted at all (a record of the same source with
                  the same numbers), the share whose value text is exactly the gold value
  period right    of the matched gold targets, the share whose record has the gold period
  GRDP group      the group holding the bundled 5-year resolution's GRDP growth target holds exactly the four
                  GRDP growth values of the bundled corpus (achieved 2020, target 2021-2025, target 2025,
                  achieved H1-2023) and nothing else
Exits non-zero below: recall 95%, value exact 100%, period 95%, or a wrong GRDP group.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.indicators import IndicatorGroup, IndicatorTable
from ingest.indicators import IndicatorRecord, indicator_key
from ingest.text import find_numbers, nfc

EVALS_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = EVALS_DIR.parent
DEFAULT_GOLD = EVALS_DIR / "indicators_gold.jsonl"
PROVINCES_DIR = PROJECT_ROOT.parent / "shared" / "corpora" / "provinces"
TARGETS = {"recall": 0.95, "value_exact": 1.0, "period": 0.95}
# The bundled corpus's GRDP growth values, as its documents write them: (source, value text).
GRDP_GROWTH = {
    ("001_41c8df0f7ff6743b.txt", "3,49%"),
    ("002_dafdf37ecc6638ab.txt", "8,5%-9,5%"),
    ("003_ec175f286d404a6a.txt", "3,4%"),
    ("004_0fe5ee8038d62b66.txt", "6,0% - 6,5%"),
}
GRDP_ANCHOR = ("002_dafdf37ecc6638ab.txt", "8,5%-9,5%")


@dataclass(frozen=True)
class GoldTarget:
    source: str
    indicator: str
    value: str
    period: str | None
    status: str | None
    evidence: str | None


@dataclass(frozen=True)
class TargetResult:
    gold: GoldTarget
    record: IndicatorRecord | None  # the record matched on value text, if any
    extracted: bool  # some record of the source carries the same numbers
    period_right: bool


@dataclass(frozen=True)
class Report:
    results: list[TargetResult]
    grdp_group: list[IndicatorRecord]
    grdp_ok: bool

    @property
    def recall(self) -> float:
        return _share(sum(r.record is not None for r in self.results), len(self.results))

    @property
    def value_exact(self) -> float:
        extracted = [r for r in self.results if r.extracted]
        return _share(sum(r.record is not None for r in extracted), len(extracted))

    @property
    def period(self) -> float:
        matched = [r for r in self.results if r.record is not None]
        return _share(sum(r.period_right for r in matched), len(matched))

    def passed(self) -> bool:
        return (
            self.recall >= TARGETS["recall"]
            and self.value_exact >= TARGETS["value_exact"]
            and self.period >= TARGETS["period"]
            and self.grdp_ok
        )


def _share(n: int, total: int) -> float:
    return n / total if total else 0.0


def normalise(text: str | None) -> str:
    return re.sub(r"\s+", " ", nfc(text or "")).strip()


def _period_key(period: str | None) -> str:
    return re.sub(r"\s+", "", normalise(period)).replace("–", "-").lower()


def _numbers(text: str) -> tuple[float, ...]:
    return tuple(float(m.value) for m in find_numbers(text))


def load_gold(path: Path) -> list[GoldTarget]:
    targets = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item: dict[str, Any] = json.loads(line)
            targets.append(
                GoldTarget(
                    source=str(item["source"]), indicator=str(item.get("indicator") or ""), value=str(item["value"]),
                    period=item.get("period"), status=item.get("status"), evidence=item.get("evidence"),
                )
            )
        except (ValueError, KeyError) as exc:
            raise SystemExit(f"{path}:{n}: not a gold target ({exc}); each line needs source and value") from exc
    return targets


def _closeness(gold: GoldTarget, record: IndicatorRecord) -> tuple[int, float]:
    """Among records with the gold value, the one the gold means: its passage holds the evidence, then its
    indicator shares the most words with the gold indicator."""
    evidence = normalise(gold.evidence)
    quote = normalise(record.quote)
    holds = int(bool(evidence) and (evidence in quote or quote in evidence))
    gold_words = set(indicator_key(gold.indicator).split())
    words = set(indicator_key(record.indicator).split())
    overlap = len(gold_words & words) / len(gold_words | words) if gold_words | words else 0.0
    return holds, overlap


def judge(gold: GoldTarget, records: Sequence[IndicatorRecord]) -> TargetResult:
    same_source = [r for r in records if r.source == gold.source]
    value = normalise(gold.value)
    exact = [r for r in same_source if normalise(r.value_text) == value]
    numbers = _numbers(gold.value)
    extracted = bool(exact) or any(numbers and r.numbers == numbers for r in same_source)
    record = max(exact, key=lambda r: _closeness(gold, r)) if exact else None
    period_right = record is not None and _period_key(record.period) == _period_key(gold.period)
    return TargetResult(gold, record, extracted, period_right)


def grdp_group(groups: Sequence[IndicatorGroup]) -> list[IndicatorRecord]:
    for group in groups:
        if any((r.source, normalise(r.value_text)) == GRDP_ANCHOR for r in group.records):
            return list(group.records)
    return []


def evaluate(table: IndicatorTable, gold: Sequence[GoldTarget]) -> Report:
    records = table.records()
    results = [judge(g, records) for g in gold]
    group = grdp_group(table.groups())
    ok = {(r.source, normalise(r.value_text)) for r in group} == GRDP_GROWTH and len(group) == len(GRDP_GROWTH)
    return Report(results, group, ok)


def build(data_dir: Path) -> None:
    from assistant.components import build_embeddings, open_index
    from assistant.settings import Settings
    from ingest.pipeline import ingest_paths

    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    embeddings = build_embeddings(settings)
    index = open_index(settings, embeddings)
    try:
        summary = ingest_paths([PROJECT_ROOT / "corpus", PROVINCES_DIR], index=index, embeddings=embeddings)
    finally:
        index.close()
    if not summary.ok:
        raise SystemExit(f"ingest failed: {summary.to_dict()}")


def open_table(data_dir: Path) -> IndicatorTable:
    from assistant.components import build_embeddings, open_index
    from assistant.settings import Settings

    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    embeddings = build_embeddings(settings)
    index = open_index(settings, embeddings)
    return IndicatorTable(index, embeddings, settings.index_dir / "indicators")


def print_report(report: Report) -> None:
    print(f"gold targets: {len(report.results)}")
    print(f"recall of gold targets: {report.recall:.1%} (target ≥ {TARGETS['recall']:.0%})")
    print(f"value text exactly as written: {report.value_exact:.1%} of extracted (target {TARGETS['value_exact']:.0%})")
    print(f"period right: {report.period:.1%} of matched (target ≥ {TARGETS['period']:.0%})")
    print(f"GRDP growth group holds its four values and nothing else: {'yes' if report.grdp_ok else 'no'}")
    for record in report.grdp_group:
        print(f"    {record.source}  {record.value_text}  {record.period}  {record.status}  «{record.indicator}»")
    misses = [r for r in report.results if r.record is None or not r.period_right]
    if misses:
        print("\nmisses:")
    for r in misses:
        g = r.gold
        if r.record is None:
            why = "numbers found, value text differs" if r.extracted else "not extracted"
            print(f"  [{why}] {g.source}: {g.indicator} = {g.value!r} ({g.period})")
        else:
            print(f"  [period] {g.source}: {g.indicator} = {g.value!r}: gold {g.period!r}, record {r.record.period!r}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.indicators_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="where the index is (or is built with --build)")
    parser.add_argument("--build", action="store_true", help="ingest corpus/ and the provinces corpus first")
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    args = parser.parse_args(argv)
    if args.build:
        build(args.data_dir)
    report = evaluate(open_table(args.data_dir), load_gold(args.gold))
    print_report(report)
    return 0 if report.passed() else 1


if __name__ == "__main__":
    sys.exit(main())
