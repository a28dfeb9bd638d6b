#!/bin/sh
# One process type per container (deploy/Containerfile). NOT built or run here (see there).
set -e
python -m ops.production check
case "$1" in
  migrate) python manage.py migrate --noinput ;;
  web) exec gunicorn config.wsgi:application --config deploy/gunicorn.conf.py ;;
  ws)
    python -c "import json, ops.logs; print(json.dumps(ops.logs.logging_config()))" > /run/speakup/logging.json
    exec uvicorn config.asgi:application --host 0.0.0.0 --port 8001 --ws websockets \
      --loop uvloop --http httptools --no-access-log --log-level warning \
      --log-config /run/speakup/logging.json --proxy-headers \
      --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" ;;
  worker) exec celery --quiet -A config worker --loglevel INFO --without-gossip --queues "${CELERY_QUEUE:-speakup}" ;;
  audit) CELERY_REMOTE_CONTROL=0 exec celery --quiet -A config worker --loglevel INFO --without-gossip --concurrency 1 --queues "${CELERY_QUEUE:-speakup}-audits" ;;
  beat) exec celery --quiet -A config beat --loglevel INFO --schedule /var/lib/speakup/celerybeat-schedule ;;
  *) exec "$@" ;;
esac
