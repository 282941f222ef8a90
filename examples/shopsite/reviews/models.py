from django.db import models


class Review(models.Model):
    title = models.CharField(max_length=200)
    rating = models.PositiveSmallIntegerField()
    author_name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
