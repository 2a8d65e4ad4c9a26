"""One contract, two transports: a local folder and real OpenSSH SFTP behave the same."""

from __future__ import annotations

import os

import pytest

from gateway.transport.base import Side, temp_name
from gateway.transport.errors import RemoteFileError
from tests.transport.conftest import Remote

HOSTILE = ["../../x", "/etc/passwd", "a/b", "..", ".", "", "a\\b", "x\x00y", "x\ny",
           "C:evil", "\u202egnp.exe", "x" * 300]


def test_put_list_get_stat_round_trip(remote: Remote) -> None:
    """What put delivers, list shows, get returns and stat describes, byte for byte."""
    data = os.urandom(300_000)
    put = remote.transport.put("ACME_000000001.837", data)
    assert put.name == "ACME_000000001.837" and put.size == len(data)
    assert put.path.endswith("ACME_000000001.837")
    assert remote.names("outbound") == {"ACME_000000001.837"}
    listed = remote.transport.list("*.837", Side.OUTBOUND)
    assert [(f.name, f.size) for f in listed] == [("ACME_000000001.837", len(data))]
    assert listed[0].mtime is not None
    assert remote.transport.get("ACME_000000001.837", Side.OUTBOUND) == data
    stat = remote.transport.stat("ACME_000000001.837", Side.OUTBOUND)
    assert stat is not None and stat.size == len(data)
    assert remote.transport.stat("missing.837", Side.OUTBOUND) is None


def test_put_leaves_no_temp_file_and_replaces_atomically(remote: Remote) -> None:
    """A second put of the same name replaces the file whole; no temp name stays behind."""
    remote.transport.put("f.837", b"first version")
    remote.transport.put("f.837", b"second")
    assert remote.names("outbound") == {"f.837"}
    assert (remote.dirs["outbound"] / "f.837").read_bytes() == b"second"


def test_a_leftover_temp_file_is_not_listed_and_is_overwritten(remote: Remote) -> None:
    """A crash leaves `.name.part`: list ignores it and the next put reuses the name."""
    remote.place("outbound", temp_name("g.837"), b"half")
    assert remote.transport.list("*", Side.OUTBOUND) == []
    remote.transport.put("g.837", b"complete interchange")
    assert remote.names("outbound") == {"g.837"}
    assert (remote.dirs["outbound"] / "g.837").read_bytes() == b"complete interchange"


def test_inbound_list_filters_and_sorts(remote: Remote) -> None:
    """Only regular, visible files matching the pattern, sorted by name."""
    remote.drop("b.999", b"bb")
    remote.drop("a.999", b"a")
    remote.drop("c.835", b"ccc")
    remote.drop(".incoming.tmp", b"partial")
    (remote.dirs["inbound"] / "subdir").mkdir()
    assert [f.name for f in remote.transport.list()] == ["a.999", "b.999", "c.835"]
    assert [(f.name, f.size) for f in remote.transport.list("*.999")] == [("a.999", 1),
                                                                          ("b.999", 2)]


def test_remove_and_archive(remote: Remote) -> None:
    """remove deletes; archive moves into the archive folder without clobbering."""
    remote.drop("r1.999", b"one")
    remote.drop("r2.999", b"two")
    remote.transport.remove("r1.999")
    first = remote.transport.archive("r2.999")
    assert first.endswith("r2.999")
    remote.drop("r2.999", b"two again, same name")
    second = remote.transport.archive("r2.999")
    assert second != first and second.split("/")[-1].startswith("r2.999.")
    assert remote.names("inbound") == set()
    assert len(remote.names("archive")) == 2
    assert (remote.dirs["archive"] / "r2.999").read_bytes() == b"two"


def test_get_refuses_files_over_the_size_limit(remote: Remote) -> None:
    """A file larger than max_file_size is refused, not read into memory."""
    remote.drop("huge.835", b"x" * (remote.partner.max_file_size + 1))
    with pytest.raises(RemoteFileError, match="limit"):
        remote.transport.get("huge.835")


def test_missing_files_raise_remote_file_error(remote: Remote) -> None:
    """A file that is not there is a RemoteFileError, not retried."""
    with pytest.raises(RemoteFileError) as caught:
        remote.transport.get("nope.999")
    assert not caught.value.retryable
    with pytest.raises(RemoteFileError):
        remote.transport.remove("nope.999")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused_by_every_operation(remote: Remote, name: str) -> None:
    """Traversal, absolute paths, separators and control characters never reach the server."""
    t = remote.transport
    for call in (lambda: t.put(name, b"x"), lambda: t.get(name), lambda: t.remove(name),
                 lambda: t.archive(name), lambda: t.stat(name, Side.INBOUND)):
        with pytest.raises(RemoteFileError, match="refused remote file name"):
            call()
    assert remote.names("outbound") == set()
