"""837P generation: stored claims → validated interchange on disk, against its parts.

    python bench/submit_837.py [--claims 10000] [--runs 3] [--postgres URL]

Imports N synthetic claims (3 lines each) into a fresh SQLite database (not timed),
then times `Submitter.submit` end to end — reserve, render, pyx12 validation, outbox
write, commit — and, in the same process on the same interchange text: our rendering
alone, pyx12's validation alone, and a plain segment split. Rendering must cost less
than 10% of validation. Medians of --runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

from gateway.clock import FixedClock
from gateway.domain.claim import Claim
from gateway.intake.importer import ClaimImporter
from gateway.intake.records import InputFormat
from gateway.logging import configure as configure_logging
from gateway.partners import PartnerDirectory, load_partners
from gateway.samples.factory import make_claim
from gateway.store import migrate
from gateway.store.claims import ClaimStore
from gateway.store.db import make_engine
from gateway.store.submission import SubmissionStore
from gateway.submission.interchange import build_interchange
from gateway.submission.submit import Submitter
from gateway.x12.validate import validate
from x12_maps.p837_writer import ClaimToSend, Party

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
DESK = Party("ACME BILLING", "ACMEBILL01", "EDI DESK", "6155551212")
REPO = Path(__file__).resolve().parents[1]


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - start, value


def one_run(n: int, tmp: Path, run: int) -> dict[str, float]:
    docs = [make_claim(i, lines=3, today=NOW.date()) for i in range(n)]
    path = tmp / f"claims{run}.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    engine = make_engine(f"sqlite:///{tmp}/run{run}.db")
    try:
        migrate.upgrade(engine)
        clock = FixedClock(NOW)
        list(ClaimImporter(ClaimStore(engine), clock, "ACMEBILL01", 1000)
             .import_file(path, InputFormat.JSONL))
        partner = load_partners(REPO / "config" / "partners").get("sandbox")
        submitter = Submitter(SubmissionStore(engine), PartnerDirectory([partner]), clock,
                              outbox_dir=tmp / f"outbox{run}", default_submitter=DESK,
                              max_claims=n, stale_after=dt.timedelta(minutes=10))
        total, result = timed(submitter.submit, "sandbox")
        assert result.claims_sent_to_outbox == n, result
    finally:
        engine.dispose()
    claims = [ClaimToSend(i, Claim.model_validate(d)) for i, d in enumerate(docs, start=1)]
    render_s, built = timed(lambda: build_interchange(
        [(DESK, claims)], partner=partner, control_number=1, group_control_number=1,
        created=NOW))
    validate_s, verdict = timed(validate, built.text)
    assert verdict.clean
    split_s, count = timed(lambda t: len([s.split("*") for s in t.split("~")]), built.text)
    return {"total": total, "render": render_s, "validate": validate_s, "split": split_s,
            "segments": float(count)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    configure_logging("WARNING", "json")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [one_run(args.claims, Path(tmp), r) for r in range(args.runs)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    n = args.claims
    print(f"{n} claims x 3 lines, {med['segments']:.0f} segments, median of {args.runs} runs")
    print(f"  stored claims -> validated file in outbox: {med['total']:.2f} s "
          f"({n / med['total']:,.0f} claims/s)")
    print(f"  render only (our writer):  {med['render']:.3f} s ({n / med['render']:,.0f} claims/s)")
    print(f"  pyx12 validate only:       {med['validate']:.2f} s "
          f"({n / med['validate']:,.0f} claims/s)")
    print(f"  plain segment split:       {med['split']:.3f} s")
    print(f"  render / validate = {med['render'] / med['validate']:.1%} (goal < 10%); "
          f"validate = {med['validate'] / med['total']:.0%} of the whole submit")


if __name__ == "__main__":
    main()
