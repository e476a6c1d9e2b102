"""The scorer's training report as Markdown (``docs/scorer-report.md``).

Rendered only from the report dict, with no timings or dates, so the same seed gives the
same bytes.
"""

from __future__ import annotations

from typing import Any

from service.matching.features import FACTOR_OF, FEATURES
from service.matching.offline import simulator
from service.matching.offline.robust import SIGNS
from service.matching.offline.training import RULE_WEIGHTS

LABELS = {
    "learned": "learned scorer",
    "tfidf_skills": "skills-only TF-IDF",
    "rules": "hand rules",
    "oracle": "oracle",
}
STORY_HEADING = "The generative story\n--------------------\n"
OTHER_WORLDS_HEADING = "Other worlds\n------------\n"


def _f(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _story() -> str:
    doc = simulator.__doc__ or ""
    if STORY_HEADING not in doc:
        return ""
    return doc.split(STORY_HEADING, 1)[1].split(OTHER_WORLDS_HEADING, 1)[0].strip()


def _world_table(table: dict[str, Any], order: list[str]) -> list[str]:
    """(The artifact's JSON sorts keys: rows follow the run's world order instead.)"""
    lines = [
        "| world | learned NDCG@10 | skills-only TF-IDF | hand rules | oracle | "
        "learned − rules | learned vs TF-IDF | learned ROC AUC | learned ECE | "
        "success rate |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in order:
        m = table[name]
        nd = {k: m[k]["ndcg_at_10"] for k in LABELS}
        lines.append(
            f"| {name} | {_f(nd['learned'])} | {_f(nd['tfidf_skills'])} | {_f(nd['rules'])} "
            f"| {_f(nd['oracle'])} | {nd['learned'] - nd['rules']:+.4f} | "
            f"{100 * (nd['learned'] / nd['tfidf_skills'] - 1):+.1f} % | "
            f"{_f(m['learned']['roc_auc'])} | {_f(m['learned']['ece_10_bins'])} | "
            f"{_f(m['sizes']['success_rate'], 3)} |"
        )
    return lines


def _mean_row(table: dict[str, Any]) -> str:
    n = max(len(table), 1)
    mean = {k: sum(m[k]["ndcg_at_10"] for m in table.values()) / n for k in LABELS}
    gain = (
        sum(
            m["learned"]["ndcg_at_10"] / m["tfidf_skills"]["ndcg_at_10"] - 1 for m in table.values()
        )
        / n
    )
    return (
        f"| **mean** | {mean['learned']:.4f} | {mean['tfidf_skills']:.4f} | "
        f"{mean['rules']:.4f} | {mean['oracle']:.4f} | "
        f"{mean['learned'] - mean['rules']:+.4f} | {100 * gain:+.1f} % | | | |"
    )


def _constraint(name: str, dropped: set[str]) -> str:
    if name in dropped:
        return "dropped (sign flips)"
    return {1: "≥ 0", -1: "≤ 0"}.get(SIGNS.get(name, 0), "free")


def render_markdown(report: dict[str, Any]) -> str:
    method, params, targets = report["method"], report["params"], report["targets"]
    pooled, levels = report["pooled_training_hold_out"], report["target_levels"]
    dropped = set(method["dropped"])
    worst, gain = (
        targets["worst_held_out_margin_over_rules"],
        targets["mean_held_out_gain_over_tfidf"],
    )
    ece = targets["pooled_training_hold_out_ece"]

    def met(flag: bool) -> str:
        return "**met**" if flag else "**missed**"

    lines = [
        "# AccessMatch scorer: training report (cold start across worlds)",
        "",
        f"Model version `{report['version']}`, trained by `accessmatch train --seed "
        f"{report['seed']}` on placements simulated in {len(params['training_worlds'])} "
        f"training worlds and evaluated in {len(params['held_out_worlds'])} held-out worlds "
        "(`service/matching/offline/`). The command regenerates this file byte for byte "
        "from the same seed; the artifact `service/matching/artifacts/scorer.json` carries "
        "the same report with timings.",
        "",
        "No outcome has been recorded yet, so everything the scorer knows comes from "
        "simulated stories. A single story teaches its own assumptions; this scorer is "
        "trained across a family of stories that disagree (which factors matter, the sign "
        "of employer-kind effects, what the records show) and judged only on stories it "
        "never saw. Once real outcomes exist, `accessmatch train --from-outcomes` replaces "
        "it.",
        "",
        "## Targets (held-out worlds)",
        "",
        "| target | level | figure | |",
        "|---|---|---:|---|",
        f"| NDCG@10 ≥ hand rules in every held-out world | worst margin ≥ 0 | "
        f"{worst['value']:+.4f} ({worst['world']}) | {met(worst['met'])} |",
        f"| NDCG@10 above skills-only TF-IDF, mean over held-out worlds | ≥ "
        f"{100 * levels['ndcg_over_tfidf_mean']:.0f} % | {100 * (gain['value'] or 0):+.1f} % "
        f"| {met(gain['met'])} |",
        f"| ECE, pooled test seekers of the training worlds | ≤ "
        f"{levels['ece_pooled_training_hold_out']} | {ece['value']:.4f} | {met(ece['met'])} |",
        "",
        "## Held-out worlds",
        "",
        "Never used in fitting or in choosing anything; each simulated from its own seed "
        f"({params['held_out_seekers']} seekers, {params['held_out_vacancies']} vacancies). "
        "NDCG@10 ranks each seeker's candidate vacancies (seekers with at least "
        f"{params['min_candidates']}) with the true success probability as graded relevance, "
        "averaged over seekers; ROC AUC and ECE (10 bins) are on the recorded outcomes (with "
        'label noise where the world has it). "learned vs TF-IDF" is the relative gain.',
        "",
        *_world_table(report["held_out"], params["held_out_worlds"]),
        _mean_row(report["held_out"]),
        "",
        "Per-world ECE is not a target: the worlds have different base rates and no single "
        "model can be calibrated in all of them; recalibration on recorded outcomes "
        "(`--from-outcomes`) is what fixes a world's level.",
        "",
        "## Training worlds (their test seekers)",
        "",
        f"Each training world: {params['n_seekers']} seekers, {params['n_vacancies']} "
        f"vacancies; seekers split {1 - params['test_share'] - params['calibration_share']:.2f}"
        f" fitting / {params['calibration_share']} calibration / {params['test_share']} test.",
        "",
        *_world_table(report["training"], params["training_worlds"]),
        _mean_row(report["training"]),
        "",
        f"Pooled test seekers of the training family ({pooled['pairs']} pairs): ECE "
        f"{pooled['ece_10_bins']:.4f}, Brier {pooled['brier']:.4f}, ROC AUC "
        f"{pooled['roc_auc']:.4f}; mean predicted {pooled['mean_predicted']:.4f} against "
        f"{pooled['success_rate']:.4f} observed.",
        "",
        "## What each world assumes",
        "",
        "Every world tells the story of `service/matching/offline/simulator.py` (below) "
        "with some knobs turned (`service/matching/offline/worlds.py`).",
        "",
        "| world | role | seed | pairs | assumes |",
        "|---|---|---:|---:|---|",
        *(
            f"| {w['name']} | {w['role'].replace('_', '-')} | {w['seed']} | {w['pairs']} | "
            f"{w['assumes']} |"
            for w in report["worlds"]
        ),
        "",
        "## Method",
        "",
        f"1. **Pooled, sign-bounded logistic regression.** The fitting seekers of all "
        f"training worlds ({method['pairs_fit']} pairs), standardized features, one "
        "intercept per world (base rates do not leak into the weights), L2 "
        f"{params['l2']}, L-BFGS-B with box bounds: features whose direction is known "
        "before any data keep that sign (table below).",
        f"2. **No weight for effects the data cannot establish.** Each training world is "
        "fitted on its own; a feature without a known sign whose effect exceeds "
        f"±{method['flip_threshold']} (logit per standard deviation) with both signs across "
        "worlds gets weight zero; the employer-kind indicators are one effect and go "
        f"together. Dropped: {', '.join(f'`{d}`' for d in method['dropped']) or 'none'}.",
        f"3. **Blend with the hand rules.** The rule score, projected by least squares onto "
        f"the features it reads (R² {method['rule_direction_r2']:.3f}), is a linear score "
        "like the learned one; the final score is (1 − λ) · learned + λ · rules, both at "
        "unit standard deviation. λ comes from leave-one-world-out validation on the "
        "training worlds: fit without a world (its flips judged without it too), rank its "
        "fitting seekers, compare with the exact hand rules; the λ with the best worst-case "
        f"margin (then the best mean) wins: **λ = {method['blend_lambda']}**.",
        f"4. **Calibration.** Platt scaling on the pooled calibration seekers (a "
        f"{method['platt']['a']:.4f}, b {method['platt']['b']:+.4f}).",
        "5. **One affine model.** Blend and calibration fold into one StandardScaler + "
        "LogisticRegression, the model the service loads; per-factor contributions "
        "(explanations) stay exact.",
        "",
        "Leave-one-world-out NDCG@10 (rows: the world left out):",
        "",
        "| left out | hand rules | "
        + " | ".join(f"λ={lam}" for lam in method["blend_grid"])
        + " |",
        "|---|---:|" + "---:|" * len(method["blend_grid"]),
        *(
            f"| {fold['world']} | {fold['rules']:.4f} | "
            + " | ".join(f"{b:.4f}" for b in fold["blend"])
            + " |"
            for fold in method["lowo"]
        ),
        "",
        "## Baselines",
        "",
        "- **Skills-only TF-IDF**: cosine similarity of the seeker's skills with the "
        "vacancy's title and skills (character 1–3-grams, TF-IDF), i.e. the `text_sim` "
        "feature alone — what plain skill matching does.",
        "- **Hand rules**: "
        + " + ".join(f"{report['rule_weights'][k]} · {k}" for k in RULE_WEIGHTS)
        + ", where skill_cover is the share of the vacancy's skills the seeker has, "
        "occupation_match the depth of the occupation-code match with the seeker's "
        "preferences (0–1), salary_ok 1 when the top of the range reaches the seeker's "
        "minimum, near = 1 − distance / the seeker's maximum commute (1 for remote work).",
        "- **Oracle**: the true success probability (NDCG 1 by construction).",
        "",
        "## Coefficients (per standard deviation of each feature)",
        "",
        '"fitted" is the pooled logistic regression, "shipped" the final model '
        "(blended with the rules and calibrated).",
        "",
        "| feature | factor | constraint | fitted | shipped |",
        "|---|---|---|---:|---:|",
        *(
            f"| {k} | {FACTOR_OF[k]} | {_constraint(k, dropped)} | "
            f"{method['fitted_coefficients'][k]:+.4f} | {report['coefficients'][k]:+.4f} |"
            for k in FEATURES
        ),
        "",
        "Per-world fits of the features without a known sign (what step 2 judges):",
        "",
        "| feature | " + " | ".join(params["training_worlds"]) + " |",
        "|---|" + "---:|" * len(params["training_worlds"]),
        *(
            f"| {f} | "
            + " | ".join(
                f"{method['per_world_coefficients'][w][f]:+.3f}" for w in params["training_worlds"]
            )
            + " |"
            for f in FEATURES
            if f not in SIGNS
        ),
        "",
        "## The generative story (the baseline world)",
        "",
        _story(),
        "",
        "## Parameters",
        "",
        "| parameter | value |",
        "|---|---|",
        *(
            f"| {k} | {', '.join(map(str, v)) if isinstance(v, list | tuple) else v} |"
            for k, v in sorted(params.items())
        ),
        "",
    ]
    return "\n".join(lines)
