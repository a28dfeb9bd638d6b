"""The reporter's pages: raising, receipts, coming back, and the conversation."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.test import Client

from concerns.models import Attachment, Concern
from concerns.receipts import receipt_generate, receipt_hash
from concerns.roles import Role
from tests.factories import (
    PASSWORD,
    DepartmentFactory,
    case_in_state,
    category,
    make_user,
    raise_concern,
)
from workflow.models import Case, CaseEvent, Detriment, Message, SpeakUpAgainResponse, Status
from workflow.services import handling, notices, raising

CODE_RE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4,5}\b")
PDF = b"%PDF-1.7\n% a tiny test document\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
DOCX = b"PK\x03\x04" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def concern_form(org, **overrides):
    data = {
        "organisation": org.pk,
        "department": "",
        "categories": [category("patient-safety").pk, category("worker-safety").pk],
        "description": "Learners are left alone on nights without a registrar.",
        "outcome_hoped": "A safe rota.",
        "raised_elsewhere": "no",
        "reporter_role": "learner",
        "professional_group": "nursing_midwifery",
        "route": "anonymous",
    }
    data.update(overrides)
    return data


def upload(name, data, content_type):
    return SimpleUploadedFile(name, data, content_type=content_type)


def raise_anonymously(client, org, **extra):
    response = client.post("/raise/", concern_form(org), **extra)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def a_guess() -> str:
    """What a guesser sends: a well-formed code that this service never issued."""
    code = receipt_generate()
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def read_receipt(client):
    page = client.get("/raise/receipt/").content.decode()
    match = CODE_RE.search(page)
    assert match, "the receipt page shows the code"
    return match.group(0)


# --- raising: form errors -------------------------------------------------------------------


def test_anonymous_raising_from_one_connection_is_limited_per_hour(client, org, settings):
    # Given a limit of two anonymous concerns an hour from one connection
    from dataclasses import replace

    settings.SPEAKUP_RECEIPTS = replace(
        settings.SPEAKUP_RECEIPTS, anonymous_raises_per_client_per_hour=2
    )
    raise_anonymously(client, org)
    raise_anonymously(client, org)

    # When a third is raised from the same address
    refused = client.post("/raise/", concern_form(org))

    # Then it is refused with the form and a way forward, and nothing is saved
    assert refused.status_code == 429
    assert "raised anonymously from this connection" in refused.content.decode()
    assert Concern.objects.count() == 2
    # while another connection may still raise one
    raise_anonymously(client, org, REMOTE_ADDR="10.0.0.9")
    assert Concern.objects.count() == 3
    # and a forged X-Forwarded-For does not dodge the limit when no proxy is trusted
    forged = client.post("/raise/", concern_form(org), HTTP_X_FORWARDED_FOR="192.0.2.7")
    assert forged.status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(client, org, settings):
    # Given one reverse proxy in front of the app (every request comes from its address)
    from dataclasses import replace

    settings.SPEAKUP_TRUSTED_PROXY_ADDRESSES = ("10.0.0.0/24",)
    settings.SPEAKUP_RECEIPTS = replace(
        settings.SPEAKUP_RECEIPTS, anonymous_raises_per_client_per_hour=1
    )
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    # When two people behind it raise one concern each, and the first tries a second
    raise_anonymously(client, org, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    raise_anonymously(client, org, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)
    again = client.post("/raise/", concern_form(org), HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)

    # Then only the second from the same person is refused; a client-supplied hop in front
    # of the proxy's own entry changes nothing
    assert again.status_code == 429
    spoofed = client.post(
        "/raise/",
        concern_form(org),
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1",
        **proxy,
    )
    assert spoofed.status_code == 429
    assert Concern.objects.count() == 2


def test_missing_fields_give_an_error_summary_and_save_nothing(client, org):
    # Given an empty form
    # When it is sent
    response = client.post("/raise/", {})
    # Then every required field is reported, linked from the summary, and nothing is saved
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    for anchor, text in [
        ("#id_organisation", "Choose the organisation your concern is about"),
        ("#id_categories_0", "Select at least one thing your concern is about"),
        ("#id_description", "Tell us what happened"),
        ("#id_raised_elsewhere_0", "Say whether you have raised this somewhere else"),
        ("#id_reporter_role_0", "Select your role"),
        ("#id_route_0", "Choose how you want to raise your concern"),
    ]:
        assert f'<a href="{anchor}">{text}</a>' in page
    assert "<title>Error: Raise a concern" in page
    assert Concern.objects.count() == 0 and Case.objects.count() == 0


def test_a_department_of_another_organisation_is_refused(client, org, other_org):
    elsewhere = DepartmentFactory(organisation=other_org, name="Theatres")
    response = client.post("/raise/", concern_form(org, department=elsewhere.pk))
    assert "Choose a department of North Placement Trust" in response.content.decode()
    assert Concern.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "content_type", "message"),
    [
        ("run-me.exe", b"MZ\x90\x00", "application/octet-stream", "is not a file type we accept"),
        ("page.html", b"<html></html>", "text/html", "is not a file type we accept"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "application/pdf", "does not look like a real PDF"),
        ("report.pdf", PDF, "text/html", "does not look like a real PDF"),
        ("photo.png", b"\xff\xd8\xff\xe0 a jpeg", "image/png", "does not look like a real PNG"),
    ],
)
def test_attachments_of_the_wrong_type_are_refused(client, org, name, data, content_type, message):
    # Given a file whose name, declared type or first bytes are not an allowed type
    form = concern_form(org, attachments=[upload(name, data, content_type)])
    # When the concern is sent
    response = client.post("/raise/", form)
    # Then the form says why, links to the upload field, and nothing is saved
    page = response.content.decode()
    assert message in page
    assert '<a href="#id_attachments">' in page
    assert Concern.objects.count() == 0 and Attachment.objects.count() == 0


def test_an_attachment_over_ten_megabytes_is_refused(client, org):
    big = PDF + b"0" * (10 * 1024 * 1024 + 1 - len(PDF))
    response = client.post(
        "/raise/", concern_form(org, attachments=[upload("big.pdf", big, "application/pdf")])
    )
    assert "is larger than 10.0" in response.content.decode()
    assert Concern.objects.count() == 0


def test_more_than_five_attachments_are_refused(client, org):
    files = [upload(f"p{i}.png", PNG, "image/png") for i in range(6)]
    response = client.post("/raise/", concern_form(org, attachments=files))
    assert "You can attach up to 5 files" in response.content.decode()
    assert Concern.objects.count() == 0


def test_allowed_attachments_are_kept_encrypted_with_their_checked_type(client, org):
    files = [
        upload("rota.pdf", PDF, "application/pdf"),
        upload("C:\\Users\\me\\ward.png", PNG, "application/octet-stream"),
        upload(
            "notes.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ]
    response = client.post("/raise/", concern_form(org, attachments=files))
    assert response.status_code == 302
    saved = {a.filename: a for a in Attachment.objects.all()}
    assert set(saved) == {"rota.pdf", "ward.png", "notes.docx"}
    assert saved["ward.png"].content_type == "image/png"
    assert bytes(saved["rota.pdf"].data) == PDF
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM concerns_attachment")
        raw = [bytes(row[0]) for row in cursor.fetchall()]
    assert all(PDF not in r and b"PNG" not in r for r in raw)


def test_open_or_confidential_needs_sign_in_and_offers_a_way_back(client, org):
    response = client.post("/raise/", concern_form(org, route="confidential"))
    page = response.content.decode()
    assert "Sign in to raise a concern openly or confidentially" in page
    assert 'href="/accounts/login/?next=/raise/"' in page
    assert Concern.objects.count() == 0


def test_a_signed_in_reporter_raises_confidentially_with_their_details(client, org, reporter):
    # Given a signed-in reporter, whose form is prefilled from their account (in the raise
    # journey, the contact page that follows choosing confidential)
    client.force_login(reporter)
    assert client.post("/raise/who/", {"route": "confidential"})["Location"] == "/raise/where/"
    form_page = client.get("/raise/contact/").content.decode()
    assert f'value="{reporter.get_full_name()}"' in form_page
    # When they raise a confidential concern asking for email updates
    response = client.post(
        "/raise/",
        concern_form(
            org,
            route="confidential",
            reporter_name="Rita Reporter",
            reporter_contact="rita@example.nhs.uk",
            email_updates="on",
        ),
    )
    # Then they see a confirmation with the reference, and the concern is theirs
    concern = Concern.objects.get()
    assert response["Location"] == f"/raise/sent/{concern.reference}/"
    sent = client.get(response["Location"]).content.decode()
    assert concern.reference in sent
    assert concern.reporter == reporter and concern.route == "confidential"
    assert concern.reporter_name == "Rita Reporter" and concern.email_updates is True


def test_open_route_needs_a_name_and_contact(client, org, reporter):
    client.force_login(reporter)
    response = client.post(
        "/raise/", concern_form(org, route="open", reporter_name="", reporter_contact="")
    )
    page = response.content.decode()
    assert '<a href="#id_reporter_name">Enter your name</a>' in page
    assert "Enter an email address or phone number" in page
    assert Concern.objects.count() == 0


# --- anonymity and encryption ---------------------------------------------------------------

ADDRESS, AGENT = "203.0.113.77", "Mozilla/5.0 (SpeakUpProbe 9.9.9; X11) Gecko/20100101"


def _every_text_value():
    """Every char/text column of every model, as the app reads it (decrypted)."""
    for model in apps.get_models():
        fields = [
            f.attname for f in model._meta.concrete_fields if isinstance(f, models.CharField)
        ] + [f.attname for f in model._meta.concrete_fields if isinstance(f, models.TextField)]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            for value in row:
                if value:
                    yield model.__name__, str(value)
    for session in Session.objects.all():
        yield "Session(decoded)", repr(session.get_decoded())


def test_an_anonymous_concern_stores_no_ip_address_user_agent_or_user(client, org, caplog):
    # Given a client with a known IP address and browser
    caplog.set_level(logging.DEBUG)
    # When it raises an anonymous concern and reads its receipt
    raise_anonymously(client, org, REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
    client.get("/raise/receipt/", REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
    # Then neither appears in any column of any table, nor in the logs
    for model_name, value in _every_text_value():
        assert ADDRESS not in value, model_name
        assert "SpeakUpProbe" not in value, model_name
    assert ADDRESS not in caplog.text and "SpeakUpProbe" not in caplog.text
    # And no user is linked to the concern or its events
    concern = Concern.objects.get()
    assert concern.reporter_id is None and concern.reporter_name == ""
    assert concern.reporter_contact == "" and concern.receipt_hash
    assert list(CaseEvent.objects.values_list("actor_id", flat=True)) == [None]


def test_a_signed_in_person_can_still_raise_anonymously_without_being_linked(client, org, reporter):
    client.force_login(reporter)
    raise_anonymously(client, org)
    concern = Concern.objects.get()
    assert concern.route == "anonymous" and concern.reporter_id is None
    assert concern.reporter_name == "" and concern.email_updates is False
    assert CaseEvent.objects.get().actor_id is None


def test_the_description_is_ciphertext_in_the_database(client, org):
    raise_anonymously(client, org)
    with connection.cursor() as cursor:
        cursor.execute("SELECT description, outcome_hoped FROM concerns_concern")
        description, outcome = cursor.fetchone()
    assert "without a registrar" not in description and description.startswith("gAAAA")
    assert "safe rota" not in outcome
    assert Concern.objects.get().description.endswith("without a registrar.")


# --- the receipt ----------------------------------------------------------------------------


def test_the_receipt_code_is_shown_once_and_never_in_a_url(client, org):
    # Given an anonymous concern just raised
    response = raise_anonymously(client, org)
    assert response["Location"] == "/raise/receipt/"
    # When the receipt page is shown
    first = client.get("/raise/receipt/")
    code = CODE_RE.search(first.content.decode()).group(0)
    # Then it is the concern's code, in no URL, and gone on the next visit
    assert receipt_hash(code) == Concern.objects.get().receipt_hash
    assert code not in response["Location"]
    second = client.get("/raise/receipt/").content.decode()
    assert CODE_RE.search(second) is None
    assert "already been shown" in second
    for session in Session.objects.all():
        assert code not in repr(session.get_decoded())


def test_the_code_waits_in_the_session_only_encrypted(client, org):
    # Given a concern raised but its receipt page not yet shown
    raise_anonymously(client, org)
    # Then the session holds no readable code
    for session in Session.objects.all():
        assert not CODE_RE.search(repr(session.get_decoded()))
    # And the receipt page can still show it
    assert read_receipt(client)


def test_coming_back_with_the_receipt_opens_the_concern(client, org, guardian):
    # Given an anonymous concern whose guardian has replied
    raise_anonymously(client, org)
    code = read_receipt(client)
    case = Case.objects.get()
    handling.case_assign(case=case, guardian=guardian, actor=guardian)
    handling.case_message_send(case=case, actor=guardian, body="Thank you: can you say which ward?")
    other = Client()
    other.get("/receipt/")
    before = other.session.session_key
    # When the reporter comes back, typing the code in lower case with spaces
    response = other.post("/receipt/", {"code": code.lower().replace("-", " ")})
    # Then a new session holds only the concern, and the page shows the reply
    assert response.status_code == 302
    assert response["Location"] == "/receipt/concern/"
    assert code not in response["Location"]
    assert other.session.session_key != before
    held = other.session["speakup_receipt_holder"]
    assert held["concern"] == case.concern_id and set(held) == {"concern", "until"}
    page = other.get("/receipt/concern/").content.decode()
    assert "can you say which ward?" in page
    assert "without a registrar" in page
    # (changed on purpose, issue 13: the socket is named by a token of this session)
    socket = re.search(r'data-live-socket="(/ws/concern/[A-Za-z0-9_-]{22}/)"', page)
    assert socket and case.reference not in socket.group(1)


def test_a_wrong_code_gets_the_same_answer_whether_or_not_it_could_exist(client, org):
    raise_anonymously(client, org)
    answers = []
    for guess in [receipt_generate(), "not-a-code", "0000-0000-0000-0000-000"]:
        response = client.post("/receipt/", {"code": guess})
        assert response.status_code == 200
        page = response.content.decode()
        answers.append(re.search(r'<a href="#id_code">(.*?)</a>', page).group(1))
    assert len(set(answers)) == 1
    assert "not-a-code" not in page  # a code is a credential: never echoed back
    assert "We could not find a concern with that receipt code" in answers[0]
    assert "speakup_receipt_holder" not in client.session


def test_guesses_are_throttled_per_client(client, org, settings):
    # Given a limit of three attempts per client per hour
    settings.SPEAKUP_RECEIPTS = replace(settings.SPEAKUP_RECEIPTS, attempts_per_client_per_hour=3)
    raise_anonymously(client, org)
    code = read_receipt(client)
    guesser = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(3):
        assert guesser.post("/receipt/", {"code": a_guess()}).status_code == 200
    # When the same client then tries another guess
    response = guesser.post("/receipt/", {"code": a_guess()})
    # Then it is refused without being checked
    assert response.status_code == 429
    assert "too many attempts" in response.content.decode()
    assert "speakup_receipt_holder" not in guesser.session
    # And another client is not affected
    assert Client(REMOTE_ADDR="198.51.100.10").post("/receipt/", {"code": code}).status_code == 302
    # And the right code is still let in from the guesser's address (changed on purpose,
    # issue 13: guessing from a shared address must not lock a reporter out)
    assert guesser.post("/receipt/", {"code": code}).status_code == 302


def test_guesses_are_throttled_globally(client, org, settings):
    settings.SPEAKUP_RECEIPTS = replace(
        settings.SPEAKUP_RECEIPTS, attempts_per_client_per_hour=100, attempts_global_per_minute=3
    )
    raise_anonymously(client, org)
    code = read_receipt(client)
    for n in range(3):
        Client(REMOTE_ADDR=f"198.51.100.{n}").post("/receipt/", {"code": a_guess()})
    guess = Client(REMOTE_ADDR="192.0.2.50").post("/receipt/", {"code": a_guess()})
    assert guess.status_code == 429
    # (changed on purpose, issue 13: the right code is never refused for others' guessing)
    response = Client(REMOTE_ADDR="192.0.2.50").post("/receipt/", {"code": code})
    assert response.status_code == 302


def _cache_keys() -> list[str]:
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        return [str(k) for k in backend._cache]
    if isinstance(backend, RedisCache):
        return [k.decode() for k in backend._cache.get_client().keys("*")]
    pytest.skip("this cache backend cannot be listed")


def test_the_throttle_does_not_keep_the_ip_address_in_the_cache(client, org):
    client.post("/receipt/", {"code": receipt_generate()}, REMOTE_ADDR=ADDRESS)
    keys = " ".join(_cache_keys())
    assert "speakup:receipt:client:" in keys and ADDRESS not in keys


def test_the_receipt_session_expires_and_can_be_signed_out(client, org):
    raise_anonymously(client, org)
    code = read_receipt(client)
    client.post("/receipt/", {"code": code})
    # When the reporter signs out of the concern
    client.post("/receipt/sign-out/")
    # Then the concern page asks for the code again
    assert client.get("/receipt/concern/")["Location"] == "/receipt/"
    # And a receipt session past its time is not honoured
    client.post("/receipt/", {"code": code})
    session = client.session
    session["speakup_receipt_holder"] = {**session["speakup_receipt_holder"], "until": 0}
    session.save()
    assert client.get("/receipt/concern/")["Location"] == "/receipt/"


def test_a_receipt_holder_can_reply_and_withdraw(client, org):
    raise_anonymously(client, org)
    client.post("/receipt/", {"code": read_receipt(client)})
    client.post("/receipt/concern/reply/", {"reply-body": "It was ward 7."})
    message = Message.objects.get()
    assert message.side == "reporter" and message.author_id is None
    assert "It was ward 7." in client.get("/receipt/concern/").content.decode()
    confirm = client.get("/receipt/concern/withdraw/").content.decode()
    assert "Are you sure you want to withdraw" in confirm
    assert Case.objects.get().status == Status.RECEIVED
    client.post("/receipt/concern/withdraw/", {"withdraw-note": ""})
    assert Case.objects.get().status == Status.WITHDRAWN


# --- signed-in reporters --------------------------------------------------------------------


@pytest.fixture
def rita_case(org, reporter):
    return raise_concern(
        org,
        route="confidential",
        reporter=reporter,
        reporter_name="Rita",
        reporter_contact="rita@example.nhs.uk",
        description="The handover is rushed and unsafe.",
    ).case


def test_my_concerns_lists_reference_status_and_date(client, reporter, rita_case, org):
    raise_concern(org, description="Someone else's worry.")  # anonymous: not listed
    client.force_login(reporter)
    page = client.get("/my-concerns/").content.decode()
    assert rita_case.reference in page and "Received" in page
    assert Case.objects.count() == 2 and page.count('href="/my-concerns/SU-') == 1


def test_a_reporter_reads_the_conversation_but_not_internal_notes(
    client, reporter, rita_case, guardian
):
    handling.case_assign(case=rita_case, guardian=guardian, actor=guardian)
    handling.case_message_send(case=rita_case, actor=guardian, body="We are looking into it.")
    handling.case_note_add(case=rita_case, actor=guardian, body="INTERNAL: speak to the matron")
    client.force_login(reporter)
    page = client.get(f"/my-concerns/{rita_case.reference}/").content.decode()
    assert "We are looking into it." in page
    assert "The handover is rushed and unsafe." in page
    assert "Patient safety" in page
    assert "INTERNAL" not in page


def test_a_reporter_replies_and_withdraws(client, reporter, rita_case):
    client.force_login(reporter)
    url = f"/my-concerns/{rita_case.reference}/"
    response = client.post(url + "reply/", {"reply-body": "Thank you."})
    assert response["Location"] == url
    assert Message.objects.get().author == reporter
    empty = client.post(url + "reply/", {"reply-body": ""})
    assert empty.status_code == 400 and '<a href="#id_reply-body">Write your reply</a>' in (
        empty.content.decode()
    )
    assert client.post(url + "withdraw/", {"withdraw-note": "Sorted now."}).status_code == 302
    rita_case.refresh_from_db()
    assert rita_case.status == Status.WITHDRAWN
    assert "can no longer be withdrawn" in client.post(url + "withdraw/", {}).content.decode()


def test_someone_elses_concern_is_a_404(client, org, rita_case, guardian):
    anonymous_case = raise_concern(org).case
    mallory = make_user(Role.REPORTER, username="mallory")
    for person in (mallory, guardian):
        client.force_login(person)
        for case in (rita_case, anonymous_case):
            base = f"/my-concerns/{case.reference}/"
            assert client.get(base).status_code == 404
            assert client.post(base + "reply/", {"reply-body": "x"}).status_code == 404
            assert client.post(base + "withdraw/", {}).status_code == 404
            told = client.post(base + "detriment/", {"detriment-suffered": "yes"})
            assert told.status_code == 404
    assert client.get("/my-concerns/SU-2099-99999/").status_code == 404
    assert Message.objects.count() == 0 and Detriment.objects.count() == 0
    rita_case.refresh_from_db()
    assert rita_case.status == Status.RECEIVED


def test_signed_out_people_are_sent_to_sign_in(client, rita_case):
    response = client.get(f"/my-concerns/{rita_case.reference}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/my-concerns/")["Location"].startswith("/accounts/login/")


def test_speak_up_again_is_asked_when_the_case_is_closed(client, reporter, rita_case, guardian):
    client.force_login(reporter)
    url = f"/my-concerns/{rita_case.reference}/"
    # Given an open case: the question is not asked, and an answer is refused
    assert "Would you speak up again?" not in client.get(url).content.decode()
    early = client.post(url + "speak-up-again/", {"again-answer": "yes"})
    assert early.status_code == 400 and SpeakUpAgainResponse.objects.count() == 0
    # When the case is closed
    case_in_state(rita_case, "closed", guardian=guardian)
    page = client.get(url).content.decode()
    # Then the question is shown, and the answer is recorded
    assert "Given your experience, would you speak up again?" in page
    client.post(url + "speak-up-again/", {"again-answer": "maybe", "again-comment": "Slow."})
    answer = SpeakUpAgainResponse.objects.get()
    assert answer.answer == "maybe" and answer.comment == "Slow."
    assert "you told us “Maybe”" in client.get(url).content.decode()


def test_a_reporter_can_tell_us_about_detriment(client, reporter, rita_case):
    client.force_login(reporter)
    url = f"/my-concerns/{rita_case.reference}/detriment/"
    missing = client.post(url, {})
    assert missing.status_code == 400 and "Choose an answer" in missing.content.decode()
    client.post(url, {"detriment-suffered": "yes", "detriment-note": "Moved to nights."})
    detriment = Detriment.objects.get()
    assert detriment.source == "reporter" and detriment.note == "Moved to nights."


def test_forms_need_a_csrf_token(org, reporter, rita_case):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/raise/", concern_form(org)).status_code == 403
    assert strict.post("/receipt/", {"code": receipt_generate()}).status_code == 403
    strict.force_login(reporter)
    reply = strict.post(f"/my-concerns/{rita_case.reference}/reply/", {"reply-body": "x"})
    assert reply.status_code == 403
    assert Concern.objects.count() == 1 and Message.objects.count() == 0


def test_every_reporter_page_has_its_own_title(client, org, reporter, rita_case):
    def title(url):
        return re.search(r"<title>(.*?)</title>", client.get(url).content.decode(), re.S).group(1)

    public = ["/", "/raise/", "/receipt/", "/raise/receipt/", "/standards/", "/accounts/login/"]
    titles = [title(u) for u in public]
    client.force_login(reporter)
    base = f"/my-concerns/{rita_case.reference}/"
    titles += [title(u) for u in ["/my-concerns/", base, base + "withdraw/"]]
    titles.append(title(f"/raise/sent/{rita_case.reference}/"))
    assert len(titles) == len(set(titles)), titles


def test_the_start_page_explains_the_routes_and_timings(client, reporter):
    page = client.get("/").content.decode()
    for text in ["Open", "Confidential", "Anonymous", "within 2 working days", "3 months"]:
        assert text in page
    assert 'href="/raise/"' in page and 'href="/receipt/"' in page
    assert "My concerns" not in page.split("<main")[1]
    client.force_login(reporter)
    assert 'href="/my-concerns/"' in client.get("/").content.decode().split("<main")[1]


def test_signing_in_from_the_raise_page_comes_back_to_it(client, reporter):
    # Given the sign-in link offered on the raise page
    page = client.get("/accounts/login/?next=/raise/").content.decode()
    assert 'name="next" value="/raise/"' in page
    # When a wrong password is given, the error is summarised and linked
    # (issue 15: the sign-in form is allauth's, whose username field is named "login")
    wrong = client.post(
        "/accounts/login/", {"login": "rita", "password": "nope", "next": "/raise/"}
    )
    assert "There is a problem" in wrong.content.decode()
    assert '<a href="#id_login">' in wrong.content.decode()
    # Then the right one returns the reporter to the raise page
    right = client.post(
        "/accounts/login/", {"login": "rita", "password": PASSWORD, "next": "/raise/"}
    )
    assert right["Location"] == "/raise/"


def test_answers_to_the_follow_up_questions_become_follow_up_detriment_records(
    client, reporter, rita_case, guardian
):
    # Given a closed concern whose reporter has been asked the 3-month follow-up question
    case = case_in_state(rita_case, "closed", guardian=guardian)
    notices.case_follow_up_ask(case=case, months=3)
    client.force_login(reporter)
    url = f"/my-concerns/{case.reference}/detriment/"
    # When they answer it, then after the 6-month question, then once more unprompted
    client.post(url, {"detriment-suffered": "no"})
    notices.case_follow_up_ask(case=case, months=6)
    client.post(url, {"detriment-suffered": "yes", "detriment-note": "Left off the rota."})
    client.post(url, {"detriment-suffered": "yes"})
    # Then each answer is recorded against the question it answers
    sources = list(Detriment.objects.order_by("id").values_list("source", "suffered"))
    assert sources == [("follow_up_3m", "no"), ("follow_up_6m", "yes"), ("reporter", "yes")]


# --- the reporter's own files --------------------------------------------------------------

PDF = b"%PDF-1.7 the rota for March"


def _with_file(org, **kwargs):
    return raise_concern(
        org,
        attachments=[raising.NewAttachment("rota-dr-jones.pdf", "application/pdf", PDF)],
        **kwargs,
    )


def test_a_signed_in_reporter_downloads_the_file_they_attached(client, org, reporter):
    raised = _with_file(org, route="confidential", reporter=reporter)
    file = raised.concern.attachments.get()
    client.force_login(reporter)

    page = client.get(f"/my-concerns/{raised.case.reference}/").content.decode()
    url = f"/my-concerns/{raised.case.reference}/files/{file.pk}/"
    assert f'href="{url}"' in page and "rota-dr-jones.pdf" in page
    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert "rota-dr-jones" not in response["Content-Disposition"]  # named after the case


def test_a_receipt_holder_downloads_the_file_they_attached(client, org):
    raised = _with_file(org, route="anonymous")
    file = raised.concern.attachments.get()
    client.post("/receipt/", {"code": raised.receipt_code})

    page = client.get("/receipt/concern/").content.decode()
    assert f'href="/receipt/concern/files/{file.pk}/"' in page
    response = client.get(f"/receipt/concern/files/{file.pk}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_no_one_else_reaches_a_reporters_file(client, org, reporter, other_reporter):
    mine = _with_file(org, route="open", reporter=reporter)
    theirs = _with_file(org, route="anonymous")
    file, their_file = mine.concern.attachments.get(), theirs.concern.attachments.get()
    url = f"/my-concerns/{mine.case.reference}/files/{file.pk}/"

    # not signed in: sent to sign in
    assert client.get(url).status_code == 302
    # another reporter: no such concern
    client.force_login(other_reporter)
    assert client.get(url).status_code == 404
    # the reporter themselves, asking for another concern's file through their own: none
    client.force_login(reporter)
    other_file = f"/my-concerns/{mine.case.reference}/files/{their_file.pk}/"
    assert client.get(other_file).status_code == 404
    # a receipt holder, asking for another concern's file through theirs: none
    holder = Client()
    holder.post("/receipt/", {"code": theirs.receipt_code})
    assert holder.get(f"/receipt/concern/files/{file.pk}/").status_code == 404
    # and without a receipt session: asked for the code
    assert Client().get(f"/receipt/concern/files/{their_file.pk}/").status_code == 302
