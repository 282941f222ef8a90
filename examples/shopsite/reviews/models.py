# djmig: DM401 on the helpful_votes line. The field was added to the model but no
# migration adds it: makemigrations would write 0006_review_helpful_votes.
from django.db import models


class Review(models.Model):
    title = models.CharField(max_length=200)
    rating = models.PositiveSmallIntegerField()
    author_name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    helpful_votes = models.PositiveIntegerField(default=0)
