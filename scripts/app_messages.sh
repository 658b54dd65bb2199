#!/usr/bin/env bash
# Updates the Korean catalogue of one app or browser app, reusing every translation the project
# already has. Usage: scripts/app_messages.sh labelhub/campaigns            (templates, Python)
#                     scripts/app_messages.sh frontend/workbench djangojs   (JavaScript)
# Then translate each empty msgstr by hand and run `make messages`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$1"
domain="${2:-django}"
cd "$root/$dir"
mkdir -p locale
# No settings: with them, makemessages would write into the project catalogue (LOCALE_PATHS).
env -u DJANGO_SETTINGS_MODULE \
  "$root/.venv/bin/django-admin" makemessages -l ko -d "$domain" --no-obsolete --ignore=locale >/dev/null
po="locale/ko/LC_MESSAGES/$domain.po"
compendia=()
for other in "$root"/labelhub/locale/ko/LC_MESSAGES/django.po "$root"/labelhub/*/locale/ko/LC_MESSAGES/django.po "$root"/frontend/*/locale/ko/LC_MESSAGES/djangojs.po; do
  [ -f "$other" ] && [ "$other" != "$root/$dir/$po" ] && compendia+=("--compendium=$other")
done
msgmerge -q --no-fuzzy-matching "${compendia[@]}" -o "$po.new" "$po" "$po"
mv "$po.new" "$po"
echo "$dir/$po: $(grep -c '^msgid ' "$po") messages, untranslated:"
msgattrib --untranslated --no-obsolete "$po" | grep '^msgid ' | grep -v '^msgid ""$' || echo "  none"
