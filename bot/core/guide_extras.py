"""The interviewer-only sections of a prompt's optional formats, as plain entries.

Company-flavoured and startup-style rounds (``grading_focus``), behavioral prompts with a
paired design follow-up (``followup_design``), SRE postmortem reviews (``postmortem``) and
a design guide's estimates in machine form (``design.estimates``). Every renderer of the
interviewer's guide shows them; the candidate's statement never does.
"""

from __future__ import annotations

from bot.core.bank import Prompt

__all__ = ["Section", "interviewer_extras"]


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


Section = tuple[str, list[str]]


def interviewer_extras(prompt: Prompt) -> tuple[list[Section], list[Section]]:
    """A prompt's optional interviewer-only sections as (title, entries), in two groups: what
    the round really grades (shown at the top of the guide), then the design follow-up, the
    postmortem's planted gaps and the recomputed estimates (shown after the prompt's extras).

    Shared by the plain-text guide (``bot.prompts.render``) and the chat pages
    (``session_text``); never part of the candidate's statement."""
    top: list[Section] = []
    out: list[Section] = []
    focus = prompt.grading_focus
    if focus is not None:
        label = (
            "Startup-style round: graded on shipping speed"
            if focus.flavour == "startup"
            else "Company-flavoured round"
        )
        top.append(
            (
                f"What this round really grades ({label})",
                [
                    focus.really_grading,
                    *(f"Credit: {signal}" for signal in focus.signals),
                    *(f"Not graded here: {item}" for item in focus.not_graded),
                ],
            )
        )
    follow = prompt.followup_design
    if follow is not None:
        out.append(
            (
                "Design follow-up (for the story's second half)",
                [
                    f"When: {follow.pivot}",
                    f"Ask: {follow.question}",
                    *(f"Probe: {probe}" for probe in follow.probes),
                    *(f"Holds up: {sign}" for sign in follow.holds_up),
                    *(f"Cracks: {sign}" for sign in follow.cracks),
                ],
            )
        )
    review = prompt.postmortem
    if review is not None:
        entries = []
        for n, gap in enumerate(review.gaps, start=1):
            entries += [
                f"Gap {n} (at “{gap.where}”): {gap.gap}",
                f"Why gap {n} matters: {gap.why_it_matters}",
            ]
        entries += [f"Not a gap: {item}" for item in review.red_herrings]
        if review.bar:
            entries.append(
                "To meet the bar: "
                + "; ".join(
                    f"{lv.label} finds {n} of {len(review.gaps)}"
                    for lv, n in sorted(review.bar.items(), key=lambda kv: kv[0].rank)
                )
            )
        out.append(("Planted gaps the candidate should find", entries))
    estimates = prompt.design.estimates if prompt.design is not None else None
    if estimates is not None:
        computed = estimates.computed()
        inputs = [f"{name} = {_number(value)}" for name, value in estimates.inputs.items()]
        entries = ["Inputs: " + ", ".join(inputs[i : i + 6]) for i in range(0, len(inputs), 6)]
        entries += [
            f"{figure.name}: about {_number(figure.stated)} {figure.unit} "
            f"({figure.formula} = {_number(computed[figure.id])})"
            for figure in estimates.figures
        ]
        out.append(("Estimates, recomputed by the bank's checks", entries))
    return top, out
