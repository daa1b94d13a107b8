"""Tests of the CIFAR-10 downloader against a local HTTP server and local files.

Every archive is built here (a few random images per batch); the server runs
on 127.0.0.1 in a thread and can honour Range requests, ignore them, drop
the connection half-way, serve garbage or hang.
"""

import hashlib
import http.server
import io
import os
import pickle
import re
import socket
import tarfile
import threading
import types
from pathlib import Path

import numpy as np
import pytest

from cs231n_cnn.data import extract, fetch
from cs231n_cnn.data.cifar10 import EXPECTED_FILES, class_names, get_CIFAR10_data, load_CIFAR10, load_CIFAR_batch
from cs231n_cnn.data.download import download_cifar10
from cs231n_cnn.data.errors import ChecksumError, DownloadError, UnsafeArchiveError
from cs231n_cnn.data.fake import make_fake_archive
from cs231n_cnn.data.fetch import DEFAULT_MD5, DEFAULT_URL, resolve_source
from cs231n_cnn.data.verify import read_source_info, verify_dataset

MINI_MD5 = "9ccea26eb1ab49ef4913197ff00116ef"
NAME = "cifar-10-python.tar.gz"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in ("CS231N_DATA_DIR", "CS231N_CIFAR10_URL", "CS231N_CIFAR10_MD5"):
        monkeypatch.delenv(var, raising=False)


# --------------------------------------------------------------------------- fixtures

class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.state.sent.append(len(body))

    def do_GET(self):
        state = self.server.state
        state.requests.append({"path": self.path, "range": self.headers.get("Range")})
        body = state.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404, "Not Found")
            return
        mode = state.mode
        if mode == "hang":
            state.release.wait(10)
            return
        if mode == "garbage":
            body = bytes(reversed(body))
        if mode == "drop":
            # Announce the full length, send half, close: a dropped connection.
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            state.sent.append(len(body) // 2)
            return
        m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if m and mode == "range":
            start = int(m.group(1))
            if start >= len(body):
                self._send(416, b"", [("Content-Range", f"bytes */{len(body)}")])
                return
            self._send(206, body[start:],
                       [("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")])
            return
        self._send(200, body)  # "ignore-range" and plain requests


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that time out or hang up are part of the tests


@pytest.fixture
def server():
    state = types.SimpleNamespace(files={}, mode="range", requests=[], sent=[],
                                  release=threading.Event())
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.state = state
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = lambda name=NAME: f"http://127.0.0.1:{httpd.server_address[1]}/{name}"
    yield state
    state.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def archive(tmp_path):
    """A valid fake archive: path, bytes, md5, and the batches it holds."""
    path = tmp_path / "src" / NAME
    path.parent.mkdir()
    md5, batches = make_fake_archive(path, images_per_batch=3, seed=1)
    return types.SimpleNamespace(path=path, bytes=path.read_bytes(), md5=md5, batches=batches)


@pytest.fixture
def served(server, archive):
    server.files[NAME] = archive.bytes
    return server


def _closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _assert_dataset(dest, batches):
    """The installed dataset holds exactly the archived images and labels."""
    Xtr, Ytr, Xte, Yte = load_CIFAR10(dest, dtype=np.uint8)
    rows = np.concatenate([batches[f"data_batch_{i}"][0] for i in range(1, 6)])
    expected = rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(Xtr, expected)
    np.testing.assert_array_equal(Ytr, sum((batches[f"data_batch_{i}"][1] for i in range(1, 6)), []))
    np.testing.assert_array_equal(Yte, batches["test_batch"][1])
    assert Xte.shape[0] == len(batches["test_batch"][1])


def _leftovers(dest):
    """Anything but the dataset directory left in dest."""
    return sorted(p.name for p in Path(dest).iterdir() if p.name != "cifar-10-batches-py")


def _get(dest, url, md5, **kw):
    kw.setdefault("stream", io.StringIO())
    return download_cifar10(dest, url, md5, timeout=kw.pop("timeout", 5), **kw)


# --------------------------------------------------------------------------- source selection

def test_resolve_source_defaults_are_official():
    assert resolve_source() == (DEFAULT_URL, DEFAULT_MD5)
    assert DEFAULT_URL == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert DEFAULT_MD5 == "c58f30108f718f92721af3b95e74349a"


def test_resolve_source_env_then_arguments(monkeypatch):
    monkeypatch.setenv("CS231N_CIFAR10_URL", "file:///env/a.tar.gz")
    monkeypatch.setenv("CS231N_CIFAR10_MD5", "A" * 32)
    assert resolve_source() == ("file:///env/a.tar.gz", "a" * 32)
    assert resolve_source("http://x/y.tar.gz", "b" * 32) == ("http://x/y.tar.gz", "b" * 32)


@pytest.mark.parametrize("url, md5, message", [
    ("ssh://host/x.tar.gz", None, r"unsupported URL 'ssh://host/x.tar.gz'.*http://, https://, ftp://, file://"),
    ("/plain/path.tar.gz", None, r"unsupported URL"),
    (None, "abc", r"an MD5 must be 32 hexadecimal digits, got 'abc'"),
    (None, "g" * 32, r"32 hexadecimal digits"),
], ids=["ssh-scheme", "no-scheme", "short-md5", "non-hex-md5"])
def test_resolve_source_rejects_bad_values(url, md5, message):
    with pytest.raises(ValueError, match=message):
        resolve_source(url, md5)


# --------------------------------------------------------------------------- happy paths

@pytest.mark.parametrize("data_filter", [True, False], ids=["tarfile-data-filter", "fallback-extractor"])
def test_fresh_download_installs_dataset(tmp_path, served, archive, monkeypatch, data_filter):
    if data_filter and not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python has no tarfile data filter")
    monkeypatch.setattr(extract, "_HAS_DATA_FILTER", data_filter)
    dest = tmp_path / "dest"
    result = _get(dest, served.url(), archive.md5)
    assert result.status == "installed" and result.path == dest / "cifar-10-batches-py"
    assert (result.num_train, result.num_test) == (15, 3)
    _assert_dataset(dest, archive.batches)
    assert served.requests == [{"path": "/" + NAME, "range": None}]
    assert _leftovers(dest) == []  # no .part, no archive, no temporary directory


def test_already_present_does_nothing(tmp_path, served, archive):
    dest = tmp_path / "dest"
    _get(dest, served.url(), archive.md5)
    before = {p.name: p.stat().st_mtime_ns for p in (dest / "cifar-10-batches-py").iterdir()}
    served.requests.clear()
    result = _get(dest, served.url(), archive.md5)
    assert result.status == "present" and result.note is None
    assert served.requests == []
    assert {p.name: p.stat().st_mtime_ns for p in (dest / "cifar-10-batches-py").iterdir()} == before


def test_incomplete_dataset_is_replaced(tmp_path, served, archive):
    dest = tmp_path / "dest"
    _get(dest, served.url(), archive.md5)
    (dest / "cifar-10-batches-py" / "data_batch_3").unlink()
    assert _get(dest, served.url(), archive.md5).status == "repaired"
    _assert_dataset(dest, archive.batches)
    assert _leftovers(dest) == []


def test_install_records_size_and_sha256_of_every_file(tmp_path, archive):
    dest = tmp_path / "dest"
    _get(dest, archive.path.as_uri(), archive.md5)
    final = dest / "cifar-10-batches-py"
    files = read_source_info(final)["files"]
    assert sorted(files) == sorted(EXPECTED_FILES)
    for name, record in files.items():
        data = (final / name).read_bytes()
        assert record == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert verify_dataset(final) == []


def _change_one_pixel(path):
    batch = pickle.loads(path.read_bytes())        # a batch this test wrote itself
    batch["data"][0, 0] ^= 0xFF
    path.write_bytes(pickle.dumps(batch, protocol=2))
    load_CIFAR_batch(path)               # still a valid batch: only the recorded checksum can tell


@pytest.mark.parametrize("damage, problem", [
    (lambda p: p.write_bytes(b"not a pickle"), "data_batch_2 is not a readable batch pickle"),
    (_change_one_pixel, "data_batch_2 changed since it was installed"),
    (lambda p: p.write_bytes(p.read_bytes()[:-10]), "data_batch_2"),
], ids=["not-a-pickle", "one-byte-changed", "truncated"])
def test_a_damaged_dataset_is_repaired_without_force(tmp_path, served, archive, damage, problem):
    dest = tmp_path / "dest"
    _get(dest, served.url(), archive.md5)
    final = dest / "cifar-10-batches-py"
    damage(final / "data_batch_2")
    assert any(problem in p for p in verify_dataset(final))
    stream = io.StringIO()
    result = _get(dest, served.url(), archive.md5, stream=stream)
    assert result.status == "repaired"
    assert problem in result.note and "has been replaced" in result.note
    assert "is damaged" in stream.getvalue() and "installing it again" in stream.getvalue()
    _assert_dataset(dest, archive.batches)
    assert verify_dataset(final) == [] and _leftovers(dest) == []
    assert _get(dest, served.url(), archive.md5).status == "present"


def test_without_a_record_every_batch_must_load(tmp_path, archive):
    # A dataset unpacked by hand (or by an older version): no checksums to compare, the batches are loaded.
    dest = tmp_path / "dest"
    _get(dest, archive.path.as_uri(), archive.md5)
    final = dest / "cifar-10-batches-py"
    (final / ".cs231n-source.json").unlink()
    assert verify_dataset(final) == []
    assert _get(dest, archive.path.as_uri(), archive.md5).status == "present"
    (final / "test_batch").write_bytes(b"garbage")
    (problem,) = verify_dataset(final)
    assert "test_batch is not a readable batch pickle" in problem
    assert _get(dest, archive.path.as_uri(), archive.md5).status == "repaired"
    _assert_dataset(dest, archive.batches)


def test_present_from_other_archive_gets_a_note_and_force_replaces(tmp_path, served, archive):
    dest = tmp_path / "dest"
    other = tmp_path / "other.tar.gz"
    other_md5, other_batches = make_fake_archive(other, images_per_batch=2, seed=7)
    _get(dest, other.as_uri(), other_md5)
    result = _get(dest, served.url(), archive.md5)
    assert result.status == "present"
    assert other_md5 in result.note and archive.md5 in result.note and "--force" in result.note
    _assert_dataset(dest, other_batches)
    assert _get(dest, served.url(), archive.md5, force=True).status == "installed"
    _assert_dataset(dest, archive.batches)


def test_file_url_is_read_in_place(tmp_path, archive):
    dest = tmp_path / "dest"
    result = _get(dest, archive.path.as_uri(), archive.md5)
    assert result.status == "installed"
    _assert_dataset(dest, archive.batches)
    assert _leftovers(dest) == []  # nothing copied next to the dataset


def test_env_vars_select_the_mirror(tmp_path, server, archive, monkeypatch):
    server.files["mirror/c10.tar.gz"] = archive.bytes
    monkeypatch.setenv("CS231N_CIFAR10_URL", server.url("mirror/c10.tar.gz"))
    monkeypatch.setenv("CS231N_CIFAR10_MD5", archive.md5)
    result = download_cifar10(tmp_path / "dest", stream=io.StringIO(), timeout=5)
    assert result.status == "installed" and result.url == server.url("mirror/c10.tar.gz")
    assert [r["path"] for r in server.requests] == ["/mirror/c10.tar.gz"]
    _assert_dataset(tmp_path / "dest", archive.batches)


def test_arguments_override_env(tmp_path, served, archive, monkeypatch):
    monkeypatch.setenv("CS231N_CIFAR10_URL", f"http://127.0.0.1:{_closed_port()}/{NAME}")
    monkeypatch.setenv("CS231N_CIFAR10_MD5", "0" * 32)
    assert _get(tmp_path / "dest", served.url(), archive.md5).status == "installed"


def test_default_dest_comes_from_CS231N_DATA_DIR(tmp_path, archive, monkeypatch):
    monkeypatch.setenv("CS231N_DATA_DIR", str(tmp_path / "envdata"))
    result = download_cifar10(None, archive.path.as_uri(), archive.md5, stream=io.StringIO())
    assert result.path == tmp_path / "envdata" / "cifar-10-batches-py"
    _assert_dataset(tmp_path / "envdata", archive.batches)


def test_keep_archive_is_reused(tmp_path, served, archive):
    dest = tmp_path / "dest"
    _get(dest, served.url(), archive.md5, keep_archive=True)
    assert (dest / NAME).read_bytes() == archive.bytes
    served.requests.clear()
    assert _get(dest, served.url(), archive.md5, force=True).status == "installed"
    assert served.requests == []
    assert _leftovers(dest) == []


# --------------------------------------------------------------------------- resume / restart

def test_resume_partial_download_with_range(tmp_path, served, archive):
    dest = tmp_path / "dest"
    dest.mkdir()
    k = len(archive.bytes) * 2 // 5
    (dest / (NAME + ".part")).write_bytes(archive.bytes[:k])
    stream = io.StringIO()
    _get(dest, served.url(), archive.md5, stream=stream)
    assert served.requests == [{"path": "/" + NAME, "range": f"bytes={k}-"}]
    assert served.sent == [len(archive.bytes) - k]  # only the missing bytes were sent
    assert "resuming" in stream.getvalue()
    _assert_dataset(dest, archive.batches)
    assert _leftovers(dest) == []


def test_server_ignoring_range_restarts_cleanly(tmp_path, served, archive):
    served.mode = "ignore-range"
    dest = tmp_path / "dest"
    dest.mkdir()
    # A wrong prefix: appending the full body to it would fail the checksum.
    (dest / (NAME + ".part")).write_bytes(b"\xff" * 1000)
    stream = io.StringIO()
    _get(dest, served.url(), archive.md5, stream=stream)
    assert served.requests[0]["range"] == "bytes=1000-"
    assert "does not support resuming" in stream.getvalue()
    _assert_dataset(dest, archive.batches)


def test_part_larger_than_file_is_discarded(tmp_path, served, archive):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / (NAME + ".part")).write_bytes(archive.bytes + b"junk" * 100)
    stream = io.StringIO()
    _get(dest, served.url(), archive.md5, stream=stream)
    assert [r["range"] for r in served.requests] == [f"bytes={len(archive.bytes) + 400}-", None]
    assert "larger than the file on the server" in stream.getvalue()
    _assert_dataset(dest, archive.batches)


def test_complete_part_needs_no_more_bytes(tmp_path, served, archive):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / (NAME + ".part")).write_bytes(archive.bytes)
    _get(dest, served.url(), archive.md5)
    assert [r["range"] for r in served.requests] == [f"bytes={len(archive.bytes)}-"]
    assert served.sent == [0]
    _assert_dataset(dest, archive.batches)


def test_dropped_connection_errors_then_rerun_resumes(tmp_path, served, archive):
    dest = tmp_path / "dest"
    served.mode = "drop"
    half = len(archive.bytes) // 2
    with pytest.raises(DownloadError, match=rf"interrupted after {half:,} of {len(archive.bytes):,} bytes "
                                            r"\(connection closed early\).*"
                                            r"run the same command again to resume"):
        _get(dest, served.url(), archive.md5)
    assert not (dest / "cifar-10-batches-py").exists()
    assert (dest / (NAME + ".part")).read_bytes() == archive.bytes[:half]
    assert _leftovers(dest) == [NAME + ".part"]

    served.mode = "range"
    assert _get(dest, served.url(), archive.md5).status == "installed"
    assert served.requests[-1]["range"] == f"bytes={half}-"
    _assert_dataset(dest, archive.batches)
    assert _leftovers(dest) == []


def test_corrupt_resumed_part_fails_checksum_then_rerun_succeeds(tmp_path, served, archive):
    dest = tmp_path / "dest"
    dest.mkdir()
    k = len(archive.bytes) // 3
    (dest / (NAME + ".part")).write_bytes(b"\0" * k)  # a prefix of some other file
    with pytest.raises(ChecksumError, match=f"expected MD5 {archive.md5}, got [0-9a-f]{{32}}"):
        _get(dest, served.url(), archive.md5)
    assert _leftovers(dest) == []  # the bad download was deleted
    assert not (dest / "cifar-10-batches-py").exists()
    _get(dest, served.url(), archive.md5)
    assert served.requests[-1]["range"] is None
    _assert_dataset(dest, archive.batches)


def test_wrong_md5_shows_both_and_installs_nothing(tmp_path, served, archive):
    served.mode = "garbage"
    dest = tmp_path / "dest"
    got = hashlib.md5(bytes(reversed(archive.bytes))).hexdigest()
    with pytest.raises(ChecksumError, match=rf"checksum mismatch .*expected MD5 {archive.md5}, got {got}.*--md5"):
        _get(dest, served.url(), archive.md5)
    assert _leftovers(dest) == [] and not (dest / "cifar-10-batches-py").exists()


def test_wrong_md5_for_file_url(tmp_path, archive):
    with pytest.raises(ChecksumError, match=rf"expected MD5 {'0' * 32}, got {archive.md5}"):
        _get(tmp_path / "dest", archive.path.as_uri(), "0" * 32)
    assert not (tmp_path / "dest" / "cifar-10-batches-py").exists()
    assert archive.path.read_bytes() == archive.bytes  # a local mirror is never deleted


# --------------------------------------------------------------------------- failures to reach the source

def test_offline_message_names_the_mirror_option(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/{NAME}"
    with pytest.raises(DownloadError) as info:
        _get(tmp_path / "dest", url, None)
    msg = str(info.value)
    assert "\n" not in msg
    assert re.search(rf"cannot download {re.escape(url)}: .*refused", msg, re.IGNORECASE)
    assert "--url file:///path/to/cifar-10-python.tar.gz" in msg and "CS231N_CIFAR10_URL" in msg
    assert "--md5" in msg and "CS231N_CIFAR10_MD5" in msg
    assert not (tmp_path / "dest" / "cifar-10-batches-py").exists()


def test_http_error_names_status_and_mirror(tmp_path, server):
    with pytest.raises(DownloadError, match=r"cannot download .*missing\.tar\.gz: HTTP 404 .*--url file://"):
        _get(tmp_path / "dest", server.url("missing.tar.gz"), None)


def test_missing_local_mirror(tmp_path):
    url = (tmp_path / "nowhere.tar.gz").as_uri()
    with pytest.raises(DownloadError, match=r"nowhere\.tar\.gz does not exist.*--url file://"):
        _get(tmp_path / "dest", url, None)


def test_timeout(tmp_path, served, archive):
    served.mode = "hang"
    with pytest.raises(DownloadError, match=r"timed out after 0\.3 s.*--url file://"):
        _get(tmp_path / "dest", served.url(), archive.md5, timeout=0.3)
    assert not (tmp_path / "dest" / "cifar-10-batches-py").exists()


# --------------------------------------------------------------------------- bad archives

def _evil_members(outside):
    """(id, members, expected message) for archives that try to escape."""
    def reg(name, payload=b"pwned"):
        info = tarfile.TarInfo(name)
        info.size = len(payload)
        return info, payload

    def link(name, target, kind):
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, target
        return info, None

    dev = tarfile.TarInfo("cifar-10-batches-py/null")
    dev.type, dev.devmajor, dev.devminor = tarfile.CHRTYPE, 1, 3
    fifo = tarfile.TarInfo("cifar-10-batches-py/fifo")
    fifo.type = tarfile.FIFOTYPE
    return [
        ("absolute-path", [reg(str(outside / "evil.txt"))], r"has an absolute path"),
        ("dotdot-traversal", [reg("cifar-10-batches-py/../../../outside/evil.txt")],
         r"has a '\.\.' component"),
        ("symlink-to-etc-passwd", [link("cifar-10-batches-py/passwd", "/etc/passwd", tarfile.SYMTYPE)],
         r"is a symbolic link \(to '/etc/passwd'\)"),
        ("symlink-dir-then-write", [link("cifar-10-batches-py/out", str(outside), tarfile.SYMTYPE),
                                    reg("cifar-10-batches-py/out/evil.txt")], r"is a symbolic link"),
        ("hardlink-outside", [link("cifar-10-batches-py/hard", "../../../outside/target.txt",
                                   tarfile.LNKTYPE)], r"is a hard link"),
        ("device-file", [(dev, None)], r"is a device file"),
        ("fifo", [(fifo, None)], r"is a FIFO"),
    ]


EVIL_IDS = [case[0] for case in _evil_members(Path("/x"))]


def _build_evil(tmp_path, case_id):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.txt").write_text("original")
    case = {c[0]: c for c in _evil_members(outside)}[case_id]
    path = tmp_path / "evil.tar.gz"
    md5, _ = make_fake_archive(path, images_per_batch=2, extra_members=case[1])
    return path, md5, case[2], outside


def _assert_nothing_escaped(tmp_path, outside, dest):
    assert sorted(p.name for p in outside.iterdir()) == ["target.txt"]
    assert (outside / "target.txt").read_text() == "original"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["outside", "evil.tar.gz", "dest"])
    assert not (dest / "cifar-10-batches-py").exists()
    assert _leftovers(dest) == []  # the temporary directory is gone too


@pytest.mark.parametrize("data_filter", [True, False], ids=["with-data-filter", "fallback"])
@pytest.mark.parametrize("case_id", EVIL_IDS)
def test_malicious_archive_is_rejected(tmp_path, monkeypatch, case_id, data_filter):
    monkeypatch.setattr(extract, "_HAS_DATA_FILTER", data_filter and hasattr(tarfile, "data_filter"))
    path, md5, message, outside = _build_evil(tmp_path, case_id)
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchiveError, match=rf"refusing to extract .*evil\.tar\.gz: member .*{message}"):
        _get(dest, path.as_uri(), md5)
    _assert_nothing_escaped(tmp_path, outside, dest)


@pytest.mark.skipif(not hasattr(tarfile, "data_filter"), reason="this Python has no tarfile data filter")
@pytest.mark.parametrize("case_id", [c for c in EVIL_IDS if c != "absolute-path"])
def test_tarfile_data_filter_is_a_second_line_of_defence(tmp_path, monkeypatch, case_id):
    # Disable our own member check: tarfile's 'data' filter alone must still refuse.
    monkeypatch.setattr(extract, "_check_member", lambda *a: None)
    path, md5, _, outside = _build_evil(tmp_path, case_id)
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchiveError, match=r"refusing to extract .*evil\.tar\.gz"):
        _get(dest, path.as_uri(), md5)
    _assert_nothing_escaped(tmp_path, outside, dest)


def test_archive_missing_a_batch(tmp_path):
    path = tmp_path / "partial.tar.gz"
    md5, _ = make_fake_archive(path, omit=("data_batch_5",))
    with pytest.raises(DownloadError, match=r"does not contain a complete CIFAR-10 dataset.*data_batch_5 is missing"):
        _get(tmp_path / "dest", path.as_uri(), md5)
    assert not (tmp_path / "dest" / "cifar-10-batches-py").exists()
    assert _leftovers(tmp_path / "dest") == []


def test_archive_with_invalid_batch(tmp_path):
    import pickle
    bad = pickle.dumps({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 12]}, protocol=2)
    info = tarfile.TarInfo("cifar-10-batches-py/data_batch_2")
    info.size = len(bad)
    path = tmp_path / "bad.tar.gz"
    md5, _ = make_fake_archive(path, omit=("data_batch_2",), extra_members=[(info, bad)])
    with pytest.raises(DownloadError, match=r"holds an invalid batch: .*data_batch_2.*got 12 at index 1"):
        _get(tmp_path / "dest", path.as_uri(), md5)
    assert not (tmp_path / "dest" / "cifar-10-batches-py").exists()


def test_not_a_tar_archive(tmp_path, server):
    junk = bytes(range(256)) * 40
    server.files[NAME] = junk
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match=r"is not a valid \.tar\.gz archive"):
        _get(dest, server.url(), hashlib.md5(junk).hexdigest())
    assert _leftovers(dest) == []  # the useless download is deleted


# --------------------------------------------------------------------------- atomicity

def test_stale_temp_dir_is_cleaned_up(tmp_path, archive):
    dest = tmp_path / "dest"
    stale = dest / ".cifar-10-extract-killed" / "cifar-10-batches-py"
    stale.mkdir(parents=True)
    (stale / "data_batch_1").write_bytes(b"half")
    stream = io.StringIO()
    _get(dest, archive.path.as_uri(), archive.md5, stream=stream)
    assert "left over from an interrupted run" in stream.getvalue()
    assert _leftovers(dest) == []


def test_interrupted_extraction_leaves_no_dataset_and_keeps_archive(tmp_path, served, archive, monkeypatch):
    dest = tmp_path / "dest"

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(extract, "load_CIFAR_batch", interrupt)
    with pytest.raises(KeyboardInterrupt):
        _get(dest, served.url(), archive.md5)
    assert not (dest / "cifar-10-batches-py").exists()
    assert _leftovers(dest) == [NAME]  # verified archive kept, temporary directory removed

    monkeypatch.undo()
    served.requests.clear()
    assert _get(dest, served.url(), archive.md5).status == "installed"
    assert served.requests == []  # the verified archive was reused
    _assert_dataset(dest, archive.batches)
    assert _leftovers(dest) == []


def test_failed_reinstall_keeps_the_previous_dataset(tmp_path, archive):
    dest = tmp_path / "dest"
    _get(dest, archive.path.as_uri(), archive.md5)
    partial = tmp_path / "partial.tar.gz"
    md5, _ = make_fake_archive(partial, omit=("test_batch",))
    with pytest.raises(DownloadError, match="test_batch is missing"):
        _get(dest, partial.as_uri(), md5, force=True)
    _assert_dataset(dest, archive.batches)
    assert _leftovers(dest) == []


# --------------------------------------------------------------------------- progress

class _TTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_bar_on_a_terminal(tmp_path, served, archive):
    stream = _TTY()
    _get(tmp_path / "dest", served.url(), archive.md5, stream=stream)
    out = stream.getvalue()
    assert "\r" in out and "100%" in out and "[" + "#" * 30 + "]" in out


def test_progress_is_line_oriented_otherwise(tmp_path, served, archive):
    stream = io.StringIO()
    _get(tmp_path / "dest", served.url(), archive.md5, stream=stream)
    out = stream.getvalue()
    assert "\r" not in out
    assert f"downloading {NAME}: 100% (" in out


def test_quiet_prints_nothing(tmp_path, served, archive):
    dest = tmp_path / "dest"
    (dest / ".cifar-10-extract-old").mkdir(parents=True)
    stream = _TTY()
    _get(dest, served.url(), archive.md5, stream=stream, quiet=True)
    assert stream.getvalue() == ""


@pytest.mark.parametrize("start, total, expected", [
    (0, 1000, [f"{p}%" for p in range(10, 101, 10)]),
    (400, 1000, [f"{p}%" for p in range(50, 101, 10)]),
    (0, None, ["10.0 MB", "20.0 MB"]),
], ids=["fresh", "resumed-at-40pc", "unknown-size"])
def test_line_progress_steps(start, total, expected):
    stream = io.StringIO()
    p = fetch._Progress("downloading x", total, stream, start=start)
    end = total if total else 25_000_000
    for done in range(start, end + 1, max(1, (end - start) // 200)):
        p.update(done)
    p.update(end)
    p.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == len(expected)
    for line, want in zip(lines, expected):
        assert line.startswith("downloading x: ") and want in line


# --------------------------------------------------------------------------- the CI mirror

def test_ci_mirror_via_file_url(tmp_path, mini_cifar_archive):
    # mini_cifar_archive (tests/conftest.py) skips when ../shared/data has no mirror.
    dest = tmp_path / "data"
    result = download_cifar10(dest, mini_cifar_archive.as_uri(), MINI_MD5, stream=io.StringIO())
    assert (result.status, result.num_train, result.num_test) == ("installed", 10_000, 2_000)
    assert sorted(os.listdir(dest)) == ["cifar-10-batches-py"]
    Xtr, Ytr, Xte, Yte = load_CIFAR10(dest, dtype=np.uint8)
    assert Xtr.shape == (10_000, 32, 32, 3) and Xte.shape == (2_000, 32, 32, 3)
    np.testing.assert_array_equal(np.bincount(Ytr, minlength=10), [1000] * 10)
    np.testing.assert_array_equal(np.bincount(Yte, minlength=10), [200] * 10)
    import pickle
    meta = pickle.loads((dest / "cifar-10-batches-py" / "batches.meta").read_bytes(), encoding="latin1")
    assert tuple(meta["label_names"]) == class_names
    data = get_CIFAR10_data(9000, 1000, 2000, root=dest)
    assert data["X_train"].shape == (9000, 3, 32, 32) and data["X_test"].shape == (2000, 3, 32, 32)
    with pytest.raises(ValueError, match=r"49,000 \+ 1,000 = 50,000 training images, but .* has only 10,000"):
        get_CIFAR10_data(root=dest)
