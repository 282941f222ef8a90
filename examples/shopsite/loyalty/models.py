# djmig: the package of an app removed from INSTALLED_APPS (DM305 in shopsite/settings.py).
from django.conf import settings
from django.db import models


class Member(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    points = models.PositiveIntegerField(default=0)
