"""Messages a customer reads: natural text in each language, the lender's signature, ways to pay, SMS length."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pendulum
import pytest

from debt_collections.cli import main
from debt_collections.domain.messages import segments, sms_text
from debt_collections.domain.policy import Messages
from debt_collections.policy.lint import lint
from debt_collections.policy.loader import load_policy
from debt_collections.policy.templates import LANGUAGES, MessageTooLong, compose, money, render, samples
from debt_collections.store import outbox
from tests.scenario import Scenario, d
from tests.test_delivery import clients, sim_log

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "include" / "templates"
NOTICE_DAY = "2026-11-21"
MORNING_AFTER = pendulum.datetime(2026, 11, 22, 9, tz="Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count"),
    [
        ("", "gsm7", 0, 0),
        ("a" * 160, "gsm7", 160, 1),  # one GSM-7 segment: 160 septets
        ("a" * 161, "gsm7", 161, 2),  # concatenated: 153 a part
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("€" * 80, "gsm7", 160, 1),  # the extension table takes two septets a character
        ("€" * 81, "gsm7", 162, 2),
        ("a" * 159 + "é", "gsm7", 160, 1),  # é is in the GSM-7 alphabet
        ("a" * 159 + "ê", "ucs2", 160, 3),  # ê is not: the whole message becomes UCS-2
        ("中" * 70, "ucs2", 70, 1),  # one UCS-2 segment: 70 characters
        ("中" * 71, "ucs2", 71, 2),  # concatenated: 67 a part
        ("中" * 134, "ucs2", 134, 2),
        ("中" * 135, "ucs2", 135, 3),
        ("😀" * 35, "ucs2", 70, 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, "ucs2", 72, 2),
    ],
)
def test_segments_are_counted_as_carriers_bill_them(text, encoding, units, count):
    assert segments(text) == (segments(text).__class__(encoding, units, count))


def test_an_sms_starts_with_the_lenders_signature_and_ends_with_the_opt_out_under_us():
    assert sms_text("您好。", language="zh-CN", signature="安达汽车金融", opt_out=False) == "【安达汽车金融】您好。"
    assert sms_text("Hello.", language="en", signature="Anda", opt_out=False) == "[Anda] Hello."
    assert sms_text("Hello.", language="en", signature="Anda", opt_out=True) == (
        "[Anda] Hello. Reply STOP to opt out of texts."
    )
    assert sms_text("您好。", language="zh-CN", signature="安达", opt_out=True).endswith("回复TD退订短信。")
    # Chinese text runs on with no space before the opt-out line
    assert sms_text("您好。", language="zh-CN", signature="安达", opt_out=True) == "【安达】您好。回复TD退订短信。"
    # a language with no opt-out line of its own gets the English one
    assert sms_text("Bonjour.", language="fr", signature="", opt_out=True) == "Bonjour. Reply STOP to opt out of texts."


def test_segments_read_in_the_units_of_their_encoding():
    assert str(segments("Hello")) == "5 septets, 1 segment(s) (GSM7)"
    assert str(segments("您好")) == "2 UCS-2 characters, 1 segment(s) (UCS2)"


def test_amounts_read_as_each_language_writes_them():
    assert money("1234.5", "CNY", "zh-CN") == "1,234.50元"
    assert money("1234.5", "CNY", "en") == "CNY 1,234.50"
    assert money("99", "USD", "zh-CN") == "USD 99.00"


def _letters(text: str) -> tuple[int, int]:
    """(Chinese characters, Latin letters) of a text."""
    return len(re.findall(r"[\u4e00-\u9fff]", text)), len(re.findall(r"[A-Za-z]", text))


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.zh-CN.j2")), ids=lambda p: p.name)
def test_every_zh_cn_template_is_chinese_text(path):
    name = path.name[:-3]
    for variables in samples("zh-CN", reminder=name.startswith("courtesy_")):
        text = compose(name, variables, channel="letter", language="zh-CN")
        # what the sample fills in (a link, a bank's name, the currency code) is not the template's own text
        for value in sorted(map(str, variables.values()), key=len, reverse=True):
            text = text.replace(value, "")
        chinese, latin = _letters(text)
        assert chinese >= 30 and latin <= chinese * 0.05, f"{path.name}: {chinese} Chinese, {latin} Latin: {text}"


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.en.j2")), ids=lambda p: p.name)
def test_no_en_template_is_chinese_text(path):
    name = path.name[:-3]
    for variables in samples("en", reminder=name.startswith("courtesy_")):
        chinese, latin = _letters(compose(name, variables, channel="letter", language="en"))
        assert chinese == 0 and latin > 60, path.name


def test_no_message_threatens_or_names_a_third_party():
    # the words a collections team must never write to a customer or ask an agent to say
    banned = re.compile(
        r"\b(arrest|jail|prison|police|employer|neighbou?r will|family will)\b|坐牢|拘留|报警|公安|株连"
    )
    for path in TEMPLATES.glob("*.j2"):
        name = path.name[:-3]
        language = name.rsplit(".", 1)[1]
        for variables in samples(language, reminder=name.startswith("courtesy_")):
            text = compose(name, variables, channel="letter", language=language)
            assert not banned.search(text), f"{path.name}: {banned.search(text).group(0)}"


def test_the_notices_tone_firms_with_dpd():
    texts = [
        compose("notice_sms.en", v, channel="letter", language="en")
        for v in samples("en", reminder=False)
        if "next_debit_date" not in v
    ]
    assert "have not yet received" in texts[0]  # dpd 5: a reminder
    assert "credit record" in texts[1]  # dpd 45: firm
    assert "final notice" in texts[2]  # dpd 80: the last word before the next stage


def _notices(s: Scenario, simulator, *, caps=None, messages=None) -> tuple[dict[str, int], list[str]]:
    """Run the notice day and deliver its notices the morning after: the counts, and the texts the partner got."""
    s.run(NOTICE_DAY)
    counts = outbox.deliver(
        s.conninfo,
        "P1",
        d(NOTICE_DAY),
        "notice",
        clients(simulator),
        now=MORNING_AFTER,
        caps=caps or s.policy.contact,
        messages=messages or s.policy.messages,
    )
    return counts, [a["body"]["text"] for a in sim_log(simulator)[1]]


def _one_day_overdue(s: Scenario, **customer) -> Scenario:
    """ACC0001 of customer C1 (``customer``: its fields), 1,500.00 due 2026-11-20: one day overdue on NOTICE_DAY."""
    s.account("ACC0001", first_due="2026-11-20", months=1, amount="1500.00", customer=s.customer("C1", **customer))
    return s


@pytest.mark.parametrize("channel", ["auto_debit", "bank"])
def test_a_notice_says_when_the_next_debit_is_tried_or_how_to_pay(db, tmp_path, simulator, channel):
    s = Scenario(db, tmp_path)
    s.account("ACC0001", first_due="2026-10-20", months=3, amount="1500.00")
    s.pay("P1", "ACC0001", "2026-10-20T09:00:00+08:00", "1500.00", channel=channel)
    _, (text,) = _notices(s, simulator)
    assert text.startswith("【安达汽车金融】Test Customer您好，您尾号0001的车贷本期还款尚未到账，待还1,500.00元。")
    if channel == "auto_debit":
        # the account's latest repayment came by auto-debit; its next installment falls due on 2026-12-20
        assert "2026-12-20将再次自动扣款，请保持余额充足。" in text and "https://" not in text
    else:
        assert "在线还款 https://pay.anda.cn/r/ACC0001 " in text and "自动扣款" not in text


def test_an_sms_under_the_us_preset_carries_the_opt_out_line(db, tmp_path, simulator):
    s = _one_day_overdue(Scenario(db, tmp_path), language="en", full_name="Li Lei")
    _, (text,) = _notices(s, simulator, caps=s.policy.contact.model_copy(update={"preset": "us"}))
    assert text.startswith("[Anda Auto Finance] Hello Li Lei,") and text.endswith(" Reply STOP to opt out of texts.")


def test_an_sms_over_the_segment_limit_is_failed_with_its_length_and_never_sent(db, tmp_path, simulator):
    s = _one_day_overdue(Scenario(db, tmp_path))
    counts, sent = _notices(s, simulator, messages=s.policy.messages.model_copy(update={"max_sms_segments": 1}))
    action = s.action("ACC0001", NOTICE_DAY, "notice")
    assert counts["failed"] == 1 and sent == [] and action["status"] == "failed"
    assert re.match(
        r"sms_too_long: notice_sms\.zh-CN renders to \d+ UCS-2 characters, 2 segment\(s\) \(UCS2\), "
        r"over max_sms_segments 1",
        action["reason"],
    ), action["reason"]


def test_compose_refuses_what_it_would_have_to_cut():
    long_name = {**samples("zh-CN", reminder=False)[0], "name": "欧阳" * 40}
    with pytest.raises(MessageTooLong, match=r"notice_sms\.zh-CN renders to \d+ UCS-2 characters, 3 segment"):
        compose("notice_sms.zh-CN", long_name, channel="sms", language="zh-CN", messages=Messages())
    assert compose("notice_sms.zh-CN", long_name, channel="letter", language="zh-CN")  # a letter has no limit


def test_lint_refuses_a_template_whose_sms_is_over_the_limit(tmp_path, capsys):
    folder = tmp_path / "policies"
    shutil.copytree(REPO / "dags" / "policies", folder)
    defaults = folder / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace("max_sms_segments: 2", "max_sms_segments: 1"))
    problems = lint(folder)
    assert any(
        re.search(r"standard\.yaml: ladder stage notice: sms_too_long: notice_sms\.zh-CN renders to 1\d\d UCS-2", p)
        for p in problems
    ), problems
    assert main(["lint", str(folder)]) == 1
    assert "sms_too_long: notice_sms.en renders to" in capsys.readouterr().err


def test_lint_refuses_sms_without_a_signature(tmp_path):
    folder = tmp_path / "policies"
    shutil.copytree(REPO / "dags" / "policies", folder)
    defaults = folder / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace("    en: Anda Auto Finance\n", ""))
    assert "messages.signature has no en name" in "\n".join(lint(folder))


def test_the_shipped_policies_lint_clean_and_preview_shows_every_template(capsys):
    assert lint(REPO / "dags" / "policies") == []
    for path in sorted(TEMPLATES.glob("*.j2")):
        assert main(["preview", path.name[:-3], "--policy", str(REPO / "dags" / "policies" / "standard.yaml")]) == 0
    out = capsys.readouterr().out
    # 12 case templates x 3 dpd tiers x with and without auto-debit, 4 reminder templates x 2
    assert out.count("--- ") == 12 * 3 * 2 + 4 * 2
    assert all(lang in out for lang in LANGUAGES)


def test_a_letter_goes_out_as_a_pdf_with_the_address_block_and_its_text(db, tmp_path, simulator):
    import base64
    import io

    from pypdf import PdfReader

    s = _one_day_overdue(
        Scenario(db, tmp_path), phone=None, full_name="李雷", address="上海市浦东新区示例路12号\n201203"
    )
    _, (text,) = _notices(s, simulator)
    (body,) = [a["body"] for a in sim_log(simulator)[1]]
    assert body["address"] == "上海市浦东新区示例路12号\n201203"
    pdf = base64.b64decode(body["pdf_base64"])
    assert pdf.startswith(b"%PDF-")
    page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    # the lender, the address block, then the letter as composed
    assert lines[:4] == ["安达汽车金融", "李雷", "上海市浦东新区示例路12号", "201203"]
    flat = re.sub(r"\s", "", page)  # the PDF wraps lines where the page ends them
    assert "尊敬的李雷：" in lines and "截至2026-11-21，我们尚未收到您尾号0001的车贷账户本期还款" in flat
    assert "-银行转账：中国工商银行上海分行，户名安达汽车金融有限公司，账号6222021001008866" in flat
    assert flat.endswith(re.sub(r"\s", "", text.splitlines()[-1]))
    assert text.startswith("尊敬的李雷：")


def test_without_its_font_a_letter_is_failed_with_the_fix_not_sent(db, tmp_path, simulator, monkeypatch):
    monkeypatch.setenv("COLLECTIONS_LETTER_FONT", str(tmp_path / "no-such-font.ttf"))
    s = _one_day_overdue(Scenario(db, tmp_path), phone=None)
    counts, sent = _notices(s, simulator)
    action = s.action("ACC0001", NOTICE_DAY, "notice")
    assert counts["failed"] == 1 and sent == []
    assert action["reason"].startswith("letter: no font for letters at ") and "fonts-wqy-microhei" in action["reason"]


def test_the_samples_a_template_is_checked_with_name_only_the_ways_to_pay_the_policy_sets():
    messages = Messages.model_validate({"payment": {"hotline": "400-820-9999"}})
    for sample in samples("en", reminder=False, messages=messages) + samples("zh-CN", reminder=True, messages=messages):
        assert sample["hotline"] == "400-820-9999"
        assert not {"pay_link", "bank_name", "bank_account_no", "hotline_hours"} & set(sample)
    assert {s["name"] for s in samples("zh-CN", reminder=False)} == {"王芳"}


def test_lint_measures_an_sms_as_its_reader_gets_it_with_the_signature(tmp_path):
    folder = tmp_path / "policies"
    shutil.copytree(REPO / "dags" / "policies", folder)
    defaults = folder / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace("max_sms_segments: 2", "max_sms_segments: 1"))
    messages = load_policy(folder / "standard.yaml").messages
    reported = {
        m.group(1)
        for p in lint(folder)
        if (
            m := re.search(
                r"standard\.yaml: ladder stage notice: sms_too_long: notice_sms\.zh-CN renders to (.+?), over max_sms",
                p,
            )
        )
    }
    signed = {
        str(
            segments(
                sms_text(
                    render("notice_sms.zh-CN", v),
                    language="zh-CN",
                    signature=messages.signature_for("zh-CN"),
                    opt_out=False,
                )
            )
        )
        for v in samples("zh-CN", reminder=False, messages=messages)
    }
    assert reported and reported == signed
