"""eval: retrieval quality on gold queries or a BEIR folder, and the relevance judge's figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from boardpapers.ingest.display import shown_path

from .common import EXIT_OK, EXIT_PARTIAL, CliError, open_index


def read_meetings(path: str, problems: list[str]) -> dict:
    """--meetings FILE: {"trace_meetings": {qid: [{"body", "date"}...]}}. A file that cannot be read or parsed is a
    CliError (with its line); an entry of another shape goes to ``problems`` and is left out."""
    shown = shown_path(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read --meetings {shown}: {exc.strerror or exc}; check the path") from None
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CliError(f"--meetings {shown}, line {line}: not valid UTF-8; save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"--meetings {shown}, line {exc.lineno}: not JSON ({exc.msg} at column {exc.colno}); fix the file") from None
    except RecursionError:
        raise CliError(f"--meetings {shown}: not JSON (nested too deeply); fix the file") from None
    meetings = obj.get("trace_meetings") if isinstance(obj, dict) else None
    if not isinstance(meetings, dict):
        raise CliError(f'--meetings {shown} has no "trace_meetings" object ({{qid: [{{"body", "date"}}...]}}); fix the file')
    out = {}
    for qid, labels in meetings.items():
        if isinstance(labels, list) and all(
            isinstance(m, dict) and all(isinstance(m.get(k), (str, type(None))) for k in ("body", "date")) for m in labels
        ):
            out[qid] = labels
        else:
            problems.append(f'{path}: trace_meetings[{json.dumps(qid)}] is not a list of {{"body", "date"}} objects')
    return out


def cmd_eval(a) -> int:
    from boardpapers.index.evaluate import InputError, calibration, evaluate_beir, evaluate_gold, evaluate_judgement

    if bool(a.beir) == bool(a.gold):
        raise CliError("give exactly one of --beir DIR or --gold FILE.jsonl")
    if a.judge and not a.gold:
        raise CliError("--judge needs --gold FILE.jsonl")
    problems: list[str] = []  # bad lines of the input files: reported, skipped, and the exit code is 1
    modes = [a.mode] if a.mode != "all" else ["bm25", "dense", "hybrid"]
    try:
        if a.gold and a.judge:
            if a.judgements and not Path(a.judgements).exists():
                raise CliError(f"cannot read --judgements {shown_path(a.judgements)}: no such file; check the path")
            idx = open_index(a)
            meetings = read_meetings(a.meetings, problems) if a.meetings else None
            try:
                result = {
                    "judge": evaluate_judgement(idx, Path(a.gold), meetings=meetings, scope=a.scope, problems=problems),
                    "calibration": calibration(
                        idx, Path(a.gold), Path(a.judgements) if a.judgements else None, a.scope, scope=a.scope, problems=problems
                    ),
                }
            except ValueError as exc:
                raise CliError(str(exc)) from None
        elif a.gold:
            idx = open_index(a)
            result = evaluate_gold(idx, Path(a.gold), modes=modes, fusion=a.fusion, problems=problems)
        else:
            result = evaluate_beir(
                Path(a.beir), Path(a.index) if a.index_given else None, modes=modes, model=a.model, fusion=a.fusion, problems=problems
            )
    except InputError as exc:
        raise CliError(str(exc)) from None
    code = EXIT_PARTIAL if problems else EXIT_OK
    if a.gold and a.judge:
        if a.format == "json":
            print(json.dumps(result, indent=1))
        else:
            r = result["judge"]
            print(
                "[judge] "
                + "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items() if not isinstance(v, (list, dict)))
            )
            for name, block in result["calibration"].items():
                print(f"[calibration, {name}] pairs={block['pairs']} relevant={block['relevant']} brier={block['brier']}")
                for b in block["reliability"]:
                    print(f"   relevance {b['bin']}: n={b['n']:>6}  predicted {b['mean_predicted']:.3f}  observed {b['observed']:.3f}")
    elif a.format == "json":
        out = result if len(result) > 1 else next(iter(result.values()))
        print(json.dumps(out, indent=1))
    else:
        for mode, r in result.items():
            print(
                f"[{mode}] "
                + "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items() if not isinstance(v, (list, dict)))
            )
    for p in dict.fromkeys(problems):  # the gold file is read by the judge and by the calibration: each line once
        print(f"boardpapers: {shown_path(p)}; skipped", file=sys.stderr)
    return code
