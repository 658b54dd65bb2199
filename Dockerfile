FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg gettext espeak-ng make npm \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY asr ./asr
COPY labelhub ./labelhub
COPY workers ./workers
COPY fixtures ./fixtures
COPY manage.py Makefile ./
COPY frontend ./frontend
RUN make vendor \
    && pip install --no-cache-dir . \
    && python manage.py compilemessages \
    && python manage.py collectstatic --noinput

ENV LABELHUB_DATA_DIR=/data PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["gunicorn", "labelhub.wsgi:application", "--bind", "0.0.0.0:8000"]
