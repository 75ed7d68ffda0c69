"""Label scores read from a chat server's top token logprobs."""

from __future__ import annotations

import math

from shouldtune.models.label_logprobs import Step, label_scores


def step(token: str, logprob: float, **alts: float) -> Step:
    return Step(token, logprob, {**alts, token: logprob})


def test_greedy_label_wins_and_alternatives_are_read_where_it_turns_away() -> None:
    steps = [step("bill", -0.1, ship=-3.0, tech=-4.0), step("ing", -0.05), step("<end>", -0.01)]
    scores = label_scores(steps, ["billing", "shipping", "technical", "account"])
    assert scores[0] > scores[1] > scores[2] > scores[3]
    assert math.isclose(scores[1], -3.0)  # "ship" listed at the first step
    assert scores[3] < -4.0  # listed nowhere: below every listed token


def test_a_label_that_is_a_prefix_of_the_answer_pays_for_going_on() -> None:
    # The model wrote "billing": "bill" must not win just by being shorter.
    steps = [step(" bill", -0.2), step("ing", -0.01, **{".": -6.0}), step(".", -0.5)]
    bill, billing = label_scores(steps, ["bill", "billing"])
    assert billing > bill


def test_case_leading_space_and_trailing_punctuation() -> None:
    steps = [step("\n", -0.3), step(" Billing.", -0.2, Shipping=-2.0)]
    billing, shipping = label_scores(steps, ["billing", "shipping"])
    assert math.isclose(billing, -0.5) and math.isclose(shipping, -2.3)


def test_multi_token_label_along_the_greedy_path() -> None:
    steps = [step("card", -0.1), step("_", -0.2), step("arr", -0.3), step("ival", -0.1)]
    arrival, card = label_scores(steps, ["card_arrival", "card"])
    assert math.isclose(arrival, -0.7)
    assert card < arrival  # "card" then a word character: it went on
