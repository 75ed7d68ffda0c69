from __future__ import annotations

from shouldtune.models.base import Message
from shouldtune.models.chat import ChatFormat

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def test_template_render_and_answer_suffix_include_end_of_turn() -> None:
    fmt = ChatFormat(CHATML, eos_token="<|im_end|>")
    msgs = [Message("system", "s"), Message("user", "hi")]
    prompt = fmt.render(msgs)
    assert prompt.endswith("<|im_start|>assistant\n")
    assert fmt.answer_suffix(msgs, "card") == "card<|im_end|>\n"
    assert fmt.stop_strings() == ["<|im_end|>"]


def test_plain_format_for_models_without_template() -> None:
    fmt = ChatFormat(None)
    msgs = [
        Message("system", "Classify."),
        Message("user", "a"),
        Message("assistant", "x"),
        Message("user", "b"),
    ]
    assert fmt.render(msgs) == "Classify.\n\nInput: a\nOutput: x\n\nInput: b\nOutput:"
    assert fmt.answer_suffix(msgs, "y") == " y\n"
