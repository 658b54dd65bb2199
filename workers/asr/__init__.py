"""Leftover of the ASR package, which moved to the top-level `asr` package (free of Django and
Celery). Only the draft WER helper remains here until it joins the shared metrics module."""
