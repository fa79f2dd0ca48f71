# Prepares the django-helpdesk side: a staff user with an API token and one queue.
# Prints "<token> <queue id>".
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from helpdesk.models import Queue  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

User = get_user_model()
user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
    "bench", "bench@example.com", "bench-pass-not-secret"
)
queue, _ = Queue.objects.get_or_create(slug="support", defaults={"title": "Support"})
token, _ = Token.objects.get_or_create(user=user)
print(token.key, queue.id)
