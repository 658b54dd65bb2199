"""faster-whisper (CTranslate2) engine."""

from __future__ import annotations

from pathlib import Path

from .base import AsrError, Segment, Transcription, Word


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(
        self,
        *,
        model: str,
        model_dir: Path,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 0,
    ) -> None:
        # Imported lazily so the web process can import workers.asr without loading CTranslate2.
        from faster_whisper import WhisperModel

        self.model = model
        self.model_dir = Path(model_dir)
        try:
            self._whisper = WhisperModel(
                str(self.model_dir),
                device=device,
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                local_files_only=True,
            )
        except Exception as exc:
            raise AsrError(f"cannot load ASR model {model!r} from {self.model_dir}: {exc}") from exc
        # English-only checkpoints emit garbage if asked for another language.
        self._english_only = model.endswith(".en") or not self._whisper.model.is_multilingual

    def transcribe(self, audio_path: str | Path, *, language: str | None = None) -> Transcription:
        path = Path(audio_path)
        if not path.is_file():
            raise AsrError(f"audio file not found: {path}")
        if self._english_only:
            language = "en"
        elif language:
            # Whisper knows bare ISO codes ("ko"), campaigns store locales ("ko-KR").
            language = language.replace("_", "-").split("-")[0].lower()
        try:
            raw_segments, info = self._whisper.transcribe(
                str(path),
                language=language or None,
                beam_size=5,
                word_timestamps=True,
                # Clips are short single utterances; VAD mostly trims speech onsets.
                vad_filter=False,
                # Stops one hallucinated segment from poisoning the following ones.
                condition_on_previous_text=False,
            )
            # The generator does the decoding, so failures surface while iterating.
            raw = list(raw_segments)
        except Exception as exc:
            raise AsrError(f"cannot transcribe {path.name} with {self.model!r}: {exc}") from exc

        segments = tuple(
            Segment(
                start=s.start,
                end=s.end,
                text=s.text.strip(),
                avg_logprob=s.avg_logprob,
                no_speech_prob=s.no_speech_prob,
                words=tuple(
                    Word(start=w.start, end=w.end, text=w.word.strip(), probability=w.probability)
                    for w in s.words or ()
                ),
            )
            for s in raw
        )
        return Transcription(
            # Whisper puts the inter-word space at the start of each segment (none for CJK).
            text="".join(s.text for s in raw).strip(),
            language=info.language,
            language_probability=info.language_probability,
            duration=info.duration,
            segments=segments,
            engine=self.name,
            model=self.model,
        )
