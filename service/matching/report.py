"""The scorer's evaluation report as Markdown (``docs/scorer-report.md``).

Rendered only from the report dict, with no timings or dates, so the same seed gives the
same bytes.
"""

from __future__ import annotations

from typing import Any

from service.matching import simulator
from service.matching.features import FACTOR_OF

LABELS = {
    "learned": "learned scorer (logistic regression over the pair features)",
    "tfidf_skills": "baseline: skills-only TF-IDF similarity",
    "rules": "baseline: hand-weighted rule score",
    "oracle": "oracle: the true success probability",
}
STORY_HEADING = "The generative story\n--------------------\n"


def _f(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _story() -> str:
    doc = simulator.__doc__ or ""
    return doc.split(STORY_HEADING, 1)[1].strip() if STORY_HEADING in doc else ""


def render_markdown(report: dict[str, Any]) -> str:
    m, sizes, cal = report["metrics"], report["sizes"], report["calibration"]
    params = report["params"]
    lines = [
        "# AccessMatch scorer: evaluation report", "",
        f"Model version `{report['version']}`, trained by `accessmatch train --seed "
        f"{report['seed']}` on simulated placements (`service/matching/simulator.py`). "
        "The command regenerates this file byte for byte from the same seed; the artifact "
        "`service/matching/artifacts/scorer.json` carries the same report with timings.", "",
        "## Held-out evaluation", "",
        f"{sizes['test_seekers']} held-out seekers (none of their pairs was used in "
        f"fitting), {sizes['pairs_test']} eligible pairs. ROC AUC is on the realised "
        "outcomes (hired and still employed after six months). NDCG@10 ranks each "
        f"held-out seeker's candidate vacancies ({sizes['ranked_seekers']} seekers with at "
        f"least {params['min_candidates']} candidates, {sizes['mean_candidates']:.1f} on "
        "average) with the true success probability as the graded relevance, averaged "
        "over seekers.", "",
        "| scorer | ROC AUC | NDCG@10 | Brier | ECE (10 bins) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, label in LABELS.items():
        row = m[name]
        lines.append(f"| {label} | {_f(row['roc_auc'])} | {_f(row['ndcg_at_10'])} | "
                     f"{_f(row['brier'])} | {_f(row['ece_10_bins'])} |")
    lines += ["", "Brier and ECE apply to probabilities only; the baselines are rankings. "
              "The oracle's ROC AUC and Brier are the limits set by chance: outcomes are "
              "drawn from the true probabilities.", ""]
    for base, label in (("tfidf_skills", "the skills-only TF-IDF baseline"),
                        ("rules", "the hand-weighted rule score")):
        margin = report["margins"][f"ndcg_at_10_over_{base}"]
        lines.append(f"- NDCG@10 of the learned scorer exceeds {label} by "
                     f"{margin['absolute']:+.4f} ({100 * margin['relative']:+.1f} %).")
    ref = report["reference"]["ndcg_at_10_story_without_noise"]
    lines += [
        f"- For reference, the story without its unobservable terms (person, employer and "
        f"pair noise) ranks at NDCG@10 {ref:.4f}: roughly what any model of the records "
        "could reach.",
        f"- Calibration: {cal['method']} (ECE on the calibration seekers before any "
        f"recalibration {cal['ece_calibration_split_before']:.4f}, threshold "
        f"{params['max_ece']}); held-out Brier {cal['brier_test']:.4f}, ECE "
        f"{cal['ece_test']:.4f}.", "",
        "## Baselines", "",
        "- **Skills-only TF-IDF**: cosine similarity of the seeker's skills with the "
        "vacancy's title and skills (character 1–3-grams, TF-IDF), i.e. the `text_sim` "
        "feature alone — what plain skill matching does.",
        "- **Hand-weighted rules**: " + " + ".join(
            f"{w} · {k}" for k, w in report["rule_weights"].items())
        + ", where skill_cover is the share of the vacancy's skills the seeker has, "
        "occupation_match the depth of the occupation-code match with the seeker's "
        "preferences (0–1), salary_ok 1 when the top of the range reaches the seeker's "
        "minimum, near = 1 − distance / the seeker's maximum commute (1 for remote work).",
        "",
        "## Data", "",
        f"{sizes['seekers']} simulated seekers and {sizes['vacancies']} vacancies across "
        f"20 county-level divisions of Shanxi, {sizes['pairs']} eligible pairs (up to "
        f"{params['pairs_per_seeker']} per seeker): {sizes['pairs_train']} for fitting, "
        f"{sizes['pairs_calibration']} for the calibration check, {sizes['pairs_test']} "
        f"held out. Success rate {sizes['success_rate']:.4f}.", "",
        "## The generative story", "",
        _story(), "",
        "## Parameters", "",
        "| parameter | value |", "|---|---|",
        *(f"| {k} | {v} |" for k, v in sorted(params.items())), "",
        "## Coefficients (per standard deviation of each feature)", "",
        "| feature | factor | coefficient |", "|---|---|---:|",
        *(f"| {k} | {FACTOR_OF[k]} | {v:+.4f} |" for k, v in report["coefficients"].items()),
        "",
    ]
    return "\n".join(lines)
