"""The decoder opens only the file it is given: playlists cannot make it fetch anything else.

Upload checks normally stop a playlist before it reaches the decoder; these tests hand one to
the decoder directly, the way a bug in those checks (or a renamed file) would.
"""

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from asr.audio import ffmpeg_pcm_16k
from labelhub.recordings.audio import AudioRejected, normalise
from tests.audio_samples import speak

PLAYLISTS = {
    "hls.m3u8": (
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n"
        "http://127.0.0.1:{port}/segment.ts\n#EXT-X-ENDLIST\n"
    ),
    "list.ffconcat": "ffconcat version 1.0\nfile 'http://127.0.0.1:{port}/take.wav'\n",
    "take.wav": "#EXTM3U\n#EXTINF:10.0,\nhttp://127.0.0.1:{port}/renamed.ts\n#EXT-X-ENDLIST\n",
}


class Listener:
    """A local TCP server that counts and at once closes every connection, so a decoder that
    does connect fails fast instead of waiting on it (accepts time out after 0.2 s)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.contacts = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            self.contacts += 1
            connection.close()

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def playlist(tmp_path: Path, name: str, port: int) -> Path:
    path = tmp_path / name
    path.write_text(PLAYLISTS[name].format(port=port))
    return path


@pytest.mark.parametrize("name", sorted(PLAYLISTS))
def test_the_decoder_refuses_a_playlist_without_connecting_anywhere(
    tmp_path: Path, listener: Listener, name: str
) -> None:
    path = playlist(tmp_path, name, listener.port)

    with pytest.raises(AudioRejected) as refused:
        normalise(path, out_path=tmp_path / "out.wav")

    assert listener.contacts == 0
    assert refused.value.code == "undecodable"
    assert refused.value.reason.startswith("the audio could not be decoded")
    assert str(tmp_path) not in refused.value.reason
    assert not (tmp_path / "out.wav").exists()


@pytest.mark.parametrize("name", sorted(PLAYLISTS))
def test_the_asr_reader_refuses_a_playlist_without_connecting_anywhere(
    tmp_path: Path, listener: Listener, name: str
) -> None:
    path = playlist(tmp_path, name, listener.port)

    with pytest.raises(ValueError):
        ffmpeg_pcm_16k(path)

    assert listener.contacts == 0


def test_the_asr_reader_gives_the_samples_openai_whisper_would(tmp_path: Path) -> None:
    whisper = pytest.importorskip("whisper")
    clip = speak("turn on the lights", tmp_path / "clip.wav")

    ours = ffmpeg_pcm_16k(clip)

    assert ours.dtype == whisper.load_audio(str(clip)).dtype
    assert ours.tobytes() == whisper.load_audio(str(clip)).tobytes()


def test_the_decoder_still_decodes_a_real_clip_to_the_same_bytes_as_plain_ffmpeg(
    tmp_path: Path,
) -> None:
    clip = speak("what time is it", tmp_path / "clip.wav")
    plain = tmp_path / "plain.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(clip), "-ar", "16000", "-ac", "1",
         "-map_metadata", "-1", "-bitexact", "-acodec", "pcm_s16le", str(plain)],
        check=True,
    )  # fmt: skip

    audio = normalise(clip, out_path=tmp_path / "out.wav")

    assert audio.sample_rate > 0 and audio.duration > 0.5
    assert (tmp_path / "out.wav").read_bytes() == plain.read_bytes()
