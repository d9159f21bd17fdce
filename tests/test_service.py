"""The HTTP service through FastAPI's TestClient: contract shapes, limits, errors, token, logs, review."""

from __future__ import annotations

import inspect
import json
import threading
import logging

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from textmine.settings import DEFAULT_MODEL_DIR, Settings

NOTE = "村支书王某2021年把村里鱼塘以每年1200元低价发包给他小舅子"
OTHER = "反映村里路灯坏了三个月没人修"
LIMITS = dict(max_note_chars=300, max_batch=4, max_upload_bytes=60_000)


def settings_for(tmp_path, **kw):
    return Settings(**{"model_dir": DEFAULT_MODEL_DIR, "review_db": tmp_path / "reviews.sqlite3",
                       "models_root": tmp_path / "models", **LIMITS, **kw})


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """The app as `textmine serve` builds it: the lifespan loads the model named in the settings."""
    app = create_app(settings_for(tmp_path_factory.mktemp("svc")))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def token_client(tmp_path_factory, client):
    app = create_app(settings_for(tmp_path_factory.mktemp("tok"), api_token="s3cret-Token_42"),
                     model=client.app.state.model)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def post(client, body, **kw):
    return client.post("/v1/classify", content=body if isinstance(body, (str, bytes)) else json.dumps(body),
                       headers={"Content-Type": "application/json", **kw.pop("headers", {})}, **kw)


# --------------------------------------------------------------------------------------------- classify
def test_lifespan_loaded_the_model_named_in_settings(client, model):
    assert client.app.state.model.version == model.version
    assert client.get("/healthz").json() == {"status": "ok", "model": model.version, "auth_required": False}


def test_single_note_matches_the_model(client, model):
    r = post(client, {"text": NOTE, "id": "p001"})
    assert r.status_code == 200
    body = r.json()
    expected = model.classify(NOTE, id="p001")
    assert body == json.loads(json.dumps(expected))
    assert set(body) == {"id", "labels", "scores", "clue", "clue_score", "evidence", "highlights", "model"}
    assert "yuan" not in body["evidence"]["persons"][0]  # only amounts carry yuan
    assert post(client, {"text": NOTE}).json()["id"] == 1


def test_batch_keeps_order_and_ids_and_equals_single(client):
    r = post(client, {"notes": [{"id": "a", "text": OTHER}, {"text": NOTE}, {"id": 7, "text": NOTE}]})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["id"] for x in results] == ["a", 2, 7]
    single = post(client, {"text": NOTE}).json()
    assert results[1]["scores"] == single["scores"] and results[1]["highlights"] == single["highlights"]


def test_explain_false_skips_highlights(client):
    body = post(client, {"text": NOTE, "explain": False}).json()
    assert body["highlights"] == [] and body["labels"]


# --------------------------------------------------------------------------------------------- limits
def test_note_over_the_limit_is_413_naming_the_limit(client):
    r = post(client, {"text": "村" * 301})
    assert r.status_code == 413
    assert r.json()["detail"].startswith("the note has 301 characters; the limit is 300 (TEXTMINE_MAX_NOTE_CHARS)")
    r = post(client, {"notes": [{"text": NOTE}, {"text": "村" * 400}]})
    assert r.status_code == 413 and r.json()["detail"].startswith("note 2 has 400 characters")


def test_batch_over_the_limit_is_413(client):
    r = post(client, {"notes": [{"text": NOTE}] * 5})
    assert r.status_code == 413
    assert "the batch has 5 notes; the limit is 4 (TEXTMINE_MAX_BATCH)" in r.json()["detail"]


def test_body_over_the_upload_limit_is_413_before_parsing(client):
    r = post(client, json.dumps({"text": "村" * 30_000}))
    assert r.status_code == 413 and "TEXTMINE_MAX_UPLOAD_BYTES" in r.json()["detail"]


# --------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("body, status, message", [
    ('{"text": ', 422, "the request body is not valid JSON"),
    ("[1, 2]", 422, "the request body must be a JSON object {...}, not a list"),
    ('"just text"', 422, "must be a JSON object {...}, not text"),
    ("null", 422, "must be a JSON object {...}, not null"),
    ('{"text": 5}', 422, "'text' must be text in quotes, not a whole number"),
    ('{"text": ["a"]}', 422, "'text' must be text in quotes, not a list"),
    ('{"txt": "x"}', 422, "'txt' is not a field this call knows"),
    ("{}", 422, 'send one note as {"text": "…"} or a batch as'),
    ('{"text": "a", "notes": []}', 422, 'send either "text" (one note) or "notes" (a batch), not both'),
    ('{"text": "   "}', 422, "the note is empty; give the text of the note"),
    ('{"text": ""}', 422, "the note is empty"),
    ('{"notes": []}', 422, '"notes" is empty'),
    ('{"notes": "abc"}', 422, "'notes' must be a list"),
    ('{"notes": [{"text": null}]}', 422, "'notes[0].text' must be text in quotes, not null"),
    ('{"notes": [{"id": 1.5, "text": "a"}]}', 422, "'notes[0].id"),
    ('{"notes": [{"text": "村里路灯坏了"}, {"text": " "}]}', 422, "note 2 is empty"),
    ('{"text": "a", "explain": "yes"}', 422, "'explain' must be true or false"),
])
def test_bad_requests_get_4xx_saying_what_to_fix(client, body, status, message):
    r = post(client, body)
    assert r.status_code == status
    assert message in r.json()["detail"]


def test_body_without_json_content_type_is_422(client):
    r = client.post("/v1/classify", content=b'{"text": "x"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 422
    assert "Content-Type: application/json" in r.json()["detail"]


def test_unknown_address_and_wrong_method_are_plain_4xx(client):
    assert client.get("/v1/nothing").json() == {"detail": "no such address; see /docs for the calls this service answers"}
    r = client.get("/v1/classify")
    assert r.status_code == 405 and "GET is not allowed here" in r.json()["detail"]


MALFORMED = [b"", b"\xff\xfe\x00", b"{", b"}", b"[]", b"0", b"-1e999", b"true", b'{"text": null}', b'{"text": {}}',
             b'{"text": "a", "id": [1]}', b'{"text": "a", "id": {"x": 1}}', b'{"text": "a", "id": true}',
             b'{"notes": [1, 2]}', b'{"notes": [[]]}', b'{"notes": null}', b'{"notes": {"text": "a"}}',
             b'{"notes": [{"text": "a", "extra": 1}]}', b'{"notes": [{}]}', b'{"text": "\\ud800"}',
             b'{"text": "a\\u0000b"}', '{"text": "\u3000\u3000"}'.encode(), b'{"text": "a"}' * 2,
             b'{"text": "' + b"a" * 10 + b'", "explain": null}', b'{"text": 1e400}', b'{"notes": [{"id": null, "text": 3}]}']


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_bodies_never_cause_500(client, body):
    r = post(client, body)
    assert r.status_code < 500, (body, r.status_code, r.text)
    if r.status_code >= 400:
        assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_lone_surrogates_are_refused_not_stored(client):
    r = post(client, b'{"text": "\\ud800abc"}')
    assert r.status_code == 422 and "lone surrogate" in r.json()["detail"]
    r = client.post("/v1/review", content=b'{"text": "a", "labels": [], "clue": false, "reviewer": "\\udfff"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "'reviewer' contains an invalid character" in r.json()["detail"]


def test_unexpected_error_is_a_json_500_with_request_id_and_no_message_logged(client, caplog):
    from service.api import get_model

    class Broken:
        labels = ["finance"]

        def classify(self, text, id=None, explain=True):
            raise RuntimeError(f"cannot handle {text}")

    client.app.dependency_overrides[get_model] = lambda: Broken()
    try:
        with caplog.at_level(logging.INFO):
            r = post(client, {"text": "MARKER-broken-7f3a"}, headers={"X-Request-ID": "req-42"})
    finally:
        client.app.dependency_overrides.clear()
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error; nothing was changed. Tell the administrator the request id req-42"}
    assert "unhandled RuntimeError" in caplog.text and "request_id=req-42" in caplog.text
    assert "MARKER-broken-7f3a" not in caplog.text


# --------------------------------------------------------------------------------------------- model, docs, page
def test_model_info_comes_from_the_manifest(client, model):
    info = client.get("/v1/model").json()
    assert info["labels"] == ["party_building", "finance", "three_assets", "livelihood"]
    assert info["label_names"]["three_assets"] == "三资管理"
    assert info["thresholds"] == pytest.approx(model.manifest["thresholds"])
    assert info["clue_threshold"] == pytest.approx(model.manifest["clue_threshold"])
    assert info["version"] == model.manifest["version"] and info["model"] == model.version


def test_docs_openapi_and_page_are_served_locally(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/classify", "/v1/model", "/v1/review", "/v1/review/queue", "/healthz"} <= set(paths)
    page = client.get("/")
    assert page.status_code == 200 and "复核台" in page.text
    for asset in ("/static/app.js", "/static/app.css"):
        assert client.get(asset).status_code == 200
    # Offline office network: the page and its files load nothing from elsewhere.
    for text in (page.text, client.get("/static/app.js").text, client.get("/static/app.css").text):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


def test_long_jobs_run_in_the_thread_pool_and_short_notes_on_the_loop(client, monkeypatch):
    from service import api

    for handler in (api.review, api.review_queue, api.review_queue_add, api.screen, api.transcripts):
        assert not inspect.iscoroutinefunction(handler), handler.__name__
    model = client.app.state.model
    threads = []

    def spy(method):
        def wrapped(*args, **kwargs):
            threads.append(threading.current_thread().name)
            return method(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(model, "classify_many", spy(model.classify_many))  # classify calls it too
    assert post(client, {"text": NOTE}).status_code == 200
    assert post(client, {"notes": [{"text": NOTE}, {"text": OTHER}]}).status_code == 200
    assert post(client, {"text": NOTE * 5}).status_code == 200  # 5 x 29 chars: under the test limit of 300
    short, batch, medium = threads
    assert not short.startswith("AnyIO worker") and medium == short
    assert batch.startswith("AnyIO worker")


def test_a_long_single_note_goes_to_the_thread_pool(client, monkeypatch):
    from service import api

    monkeypatch.setattr(api, "INLINE_CHARS", 50)
    model = client.app.state.model
    seen = []
    original = model.classify_many
    monkeypatch.setattr(model, "classify_many",
                        lambda *a, **k: seen.append(threading.current_thread().name) or original(*a, **k))
    assert post(client, {"text": NOTE * 3}).status_code == 200
    assert seen[0].startswith("AnyIO worker")
    assert post(client, {"text": "x" * 301}).status_code == 413  # still checked against the limit there


# --------------------------------------------------------------------------------------------- token
def test_token_is_required_on_v1_when_set(token_client):
    r = post(token_client, {"text": NOTE})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer <token>" in r.json()["detail"]
    r = post(token_client, {"text": NOTE}, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and "access token is wrong" in r.json()["detail"]
    assert post(token_client, {"text": NOTE}, headers={"Authorization": "Basic s3cret-Token_42"}).status_code == 401
    # Checked before the body is read: a bad body without the token is still 401.
    assert post(token_client, "{not json").status_code == 401
    assert token_client.get("/v1/model").status_code == 401
    assert token_client.get("/v1/review/queue").status_code == 401


def test_right_token_passes_and_open_paths_stay_open(token_client):
    auth = {"Authorization": "Bearer s3cret-Token_42"}
    assert post(token_client, {"text": NOTE}, headers=auth).status_code == 200
    assert token_client.get("/v1/model", headers=auth).status_code == 200
    assert token_client.get("/healthz").json()["auth_required"] is True
    assert token_client.get("/").status_code == 200
    assert token_client.get("/static/app.js").status_code == 200


# --------------------------------------------------------------------------------------------- logs
def test_logs_have_method_path_status_duration_and_id_but_never_the_note(client, caplog):
    marker = "MARKER-9c1e5b-秘密"
    with caplog.at_level(logging.DEBUG):
        ok = post(client, {"text": f"{marker} 村会计张某挪用3万元"}, headers={"X-Request-ID": "abc-123"})
        post(client, {"text": 5, "note": marker})
        post(client, {"notes": [{"id": marker, "text": "村" * 400}]})
        client.get(f"/v1/{marker}?q={marker}")
        client.get(f"/{marker}")
        client.post("/v1/review", json={"text": marker, "labels": [], "clue": False, "reviewer": marker})
        client.get("/v1/review")
    assert ok.headers["x-request-id"] == "abc-123"
    assert marker not in caplog.text
    assert "秘密" not in caplog.text
    line = next(r.getMessage() for r in caplog.records if "request_id=abc-123" in r.getMessage())
    assert line.startswith("method=POST path=/v1/classify status=200 duration_ms=")
    assert "path=<unmatched> status=404" in caplog.text
    assert "path=/v1/classify status=422" in caplog.text and "path=/v1/classify status=413" in caplog.text


# --------------------------------------------------------------------------------------------- review
def test_review_is_recorded_with_the_model_output(client, model):
    r = client.post("/v1/review", json={"text": NOTE, "labels": ["three_assets"], "clue": True, "reviewer": "张审",
                                        "id": "p9"})
    assert r.status_code == 200
    j = r.json()
    expected = model.classify(NOTE)
    assert j["model_labels"] == expected["labels"] and j["model_clue"] == expected["clue"]
    assert j["verdict"] == ("confirmed" if expected["labels"] == ["three_assets"] and expected["clue"] else "corrected")
    assert j["labels"] == ["three_assets"] and j["note_id"] == "p9" and j["reviewer"] == "张审"
    listed = client.get("/v1/review", params={"limit": 1}).json()
    assert listed[0]["id"] == j["id"]


@pytest.mark.parametrize("body, message", [
    ({"text": NOTE, "labels": ["roads"], "clue": True, "reviewer": "张审"}, "unknown category 'roads'"),
    ({"text": NOTE, "labels": [], "clue": True, "reviewer": "  "}, "reviewer's name is empty"),
    ({"text": NOTE, "labels": [], "clue": True, "reviewer": ""}, "'reviewer' is empty"),
    ({"text": NOTE, "labels": [], "clue": "yes", "reviewer": "张审"}, "'clue' must be true or false"),
    ({"text": NOTE, "labels": [], "reviewer": "张审"}, "'clue' is missing"),
    ({"text": " ", "labels": [], "clue": False, "reviewer": "张审"}, "the note is empty"),
])
def test_bad_reviews_are_422(client, body, message):
    r = client.post("/v1/review", json=body)
    assert r.status_code == 422 and message in r.json()["detail"]


def test_queue_round_trip(client, model):
    notes = [{"id": "q1", "text": "希望村里加强管理"}, {"id": "q2", "text": "会计张某2020年坐收坐支8000元"},
             {"id": "q3", "text": "村支书王某挪用低保金"}]
    r = client.post("/v1/review/queue", json={"notes": notes})
    assert r.status_code == 200 and r.json()["added"] == 3
    assert client.post("/v1/review/queue", json={"notes": notes[:1]}).json()["added"] == 0
    queue = client.get("/v1/review/queue", params={"limit": 10}).json()
    got = [n for n in queue["notes"] if n["id"] in {"q1", "q2", "q3"}]
    assert len(got) == 3
    assert [n["uncertainty"] for n in got] == sorted((n["uncertainty"] for n in got), reverse=True)
    top = got[0]
    client.post("/v1/review", json={"text": top["text"], "labels": [], "clue": False, "reviewer": "张审"})
    after = [n["id"] for n in client.get("/v1/review/queue").json()["notes"]]
    assert top["id"] not in after
    assert client.get("/v1/review/queue", params={"limit": 0}).status_code == 422
    assert client.post("/v1/review/queue", json={"notes": []}).status_code == 422


# --------------------------------------------------------------------------------------------- screen
SCREEN_CSV = ("编号,反映内容\n"
              "A1,村支书王某2021年挪用低保金3000元，电话13812345678\n"
              "A2,村里路灯坏了\n"
              "A3,\n"
              "A4,村支书王某2021年挪用低保金3000元，电话13812345678\n").encode("utf-8-sig")


def test_screen_returns_ranked_rows_masked_and_bad_rows(client):
    r = client.post("/v1/screen", files={"file": ("信访台账.csv", SCREEN_CSV, "text/csv")})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 3 and body["errors"] == [{"row": 3, "reason": "the text column (反映内容) is empty"}]
    assert [row["rank"] for row in body["rows"]] == [1, 2, 3]
    assert {row["id"] for row in body["rows"]} == {"A1", "A2", "A4"}
    repeats = [row for row in body["rows"] if row["id"] in ("A1", "A4")]
    assert repeats[0]["group"] == repeats[1]["group"] is not None
    assert all("13812345678" not in row["text"] for row in body["rows"])  # phone numbers masked by default


def test_screen_reads_xlsx_and_can_fill_the_review_queue(client, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "来信内容"])
    ws.append([1, "组长李某把征地补偿款12万元截留了两年"])
    ws.append([2, "希望村里多办文化活动"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    r = client.post("/v1/screen", files={"file": ("book.xlsx", path.read_bytes(), "application/octet-stream")},
                    data={"queue": "true"})
    assert r.status_code == 200 and r.json()["total"] == 2 and r.json()["queued"] == 2
    waiting = {n["text"] for n in client.get("/v1/review/queue", params={"limit": 500}).json()["notes"]}
    assert "组长李某把征地补偿款12万元截留了两年" in waiting


@pytest.mark.parametrize("name, data, form, status, message", [
    ("a.pdf", b"%PDF", {}, 422, "'a.pdf' is not a table (CSV/XLSX) file; upload one of: .csv"),
    ("a.csv", b"", {}, 422, "'a.csv' is empty"),
    ("a.csv", "姓名,电话\n张三,1\n".encode(), {}, 422, "no text column found; the columns are: '姓名', '电话'"),
    ("a.csv", SCREEN_CSV, {"text_column": "正文"}, 422,
     "column '正文' not found; the columns are: '编号', '反映内容'; pass the right name with the text_column field"),
    ("a.xlsx", b"not a zip", {}, 422, "'a.xlsx' could not be opened as an Excel file"),
    ("a.csv", b"\xff\xfe\x00\x81" * 10, {}, 422, "'a.csv' is neither UTF-8 nor GBK text"),
    ("a.csv", b"x" * 60_001, {}, 413, "'a.csv' is larger than 59 KB (TEXTMINE_MAX_UPLOAD_BYTES)"),
    ("a.csv", b"x" * 100_000, {}, 413, "the request is larger than the limit of 64 KB"),
])
def test_screen_refuses_bad_uploads_plainly(client, name, data, form, status, message):
    r = client.post("/v1/screen", files={"file": (name, data, "application/octet-stream")}, data=form)
    assert r.status_code == status
    assert message in r.json()["detail"]
    assert "textmine-upload-" not in r.json()["detail"]  # the temporary path is not shown


def test_screen_without_a_file_is_422(client):
    r = client.post("/v1/screen")
    assert r.status_code == 422 and r.json()["detail"] == "'file' is missing"


# --------------------------------------------------------------------------------------------- transcripts
TRANSCRIPT = ("谈话对象：王庄村村民\n问：你反映什么问题？\n答：村会计贺某某2022年把征地补偿款8万元截留了，没分给大家。\n"
              "问：钱存到村账户上了吗？\n答：冇存，放在他屋里保险柜里。\n问：还有别的吗？\n答：没有了。")


def _check_transcript(body: dict, text: str):
    assert {"id", "labels", "scores", "clue", "clue_score", "evidence", "turns", "clue_turns"} <= set(body)
    turns = body["turns"]
    assert [t["index"] for t in turns] == list(range(len(turns)))
    assert [t["speaker"] for t in turns if t["speaker"]][:2] == ["问", "答"]
    for t in turns:
        assert text[t["start"]:t["end"]].strip() == t["text"].strip() or "*" in t["text"]
    assert set(body["clue_turns"]) <= {t["index"] for t in turns}


def test_transcript_as_text(client, model):
    r = client.post("/v1/transcripts", data={"text": TRANSCRIPT, "id": "t-1"})
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "t-1"
    assert body["scores"] == model.classify(TRANSCRIPT, explain=False)["scores"]
    _check_transcript(body, TRANSCRIPT)


def test_transcript_as_docx_and_gbk_txt(client, tmp_path):
    import docx

    d = docx.Document()
    for line in TRANSCRIPT.split("\n"):
        d.add_paragraph(line)
    path = tmp_path / "谈话记录.docx"
    d.save(path)
    r = client.post("/v1/transcripts", files={"file": (path.name, path.read_bytes(), "application/octet-stream")})
    assert r.status_code == 200 and r.json()["id"] == "谈话记录"
    _check_transcript(r.json(), TRANSCRIPT)
    r = client.post("/v1/transcripts", files={"file": ("笔录.txt", TRANSCRIPT.encode("gbk"), "text/plain")})
    assert r.status_code == 200
    _check_transcript(r.json(), TRANSCRIPT)


@pytest.mark.parametrize("files, data, status, message", [
    (None, {}, 422, "send either a file (DOCX or TXT) or the transcript's text"),
    ({"file": ("a.txt", "问：好".encode(), "text/plain")}, {"text": "问：好"}, 422, "send either a file"),
    ({"file": ("a.doc", b"\xd0\xcf\x11\xe0", "application/msword")}, {}, 422,
     "'a.doc' is not a transcript (DOCX/TXT) file; upload one of: .docx, .txt"),
    ({"file": ("a.docx", b"not a zip", "application/octet-stream")}, {}, 422, "'a.docx' could not be opened as a Word file"),
    ({"file": ("a.txt", "   \n ".encode(), "text/plain")}, {}, 422, "'a.txt' has no text"),
    (None, {"text": "   "}, 422, "the transcript has no text"),
    (None, {"text": "问：" + "a" * 3000}, 413, "the limit for a transcript is 3,000"),
])
def test_bad_transcripts_are_4xx(client, files, data, status, message):
    r = client.post("/v1/transcripts", files=files, data=data)
    assert r.status_code == status
    assert message in r.json()["detail"]


def test_unusable_review_store_is_503_not_500(tmp_path, client):
    bad = tmp_path / "reviews.sqlite3"
    bad.write_bytes(b"not a database " * 100)
    app = create_app(settings_for(tmp_path, review_db=bad), model=client.app.state.model)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/v1/review", json={"text": NOTE, "labels": [], "clue": False, "reviewer": "张审"})
        assert r.status_code == 503
        assert "TEXTMINE_REVIEW_DB" in r.json()["detail"]
        assert c.post("/v1/classify", json={"text": NOTE}).status_code == 200  # classifying still works
