# djmig: DM304 unresolved-lazy-reference on "loyalty.Member": the loyalty app is no longer
# installed, so every management command stops at the system check fields.E307 ("The field
# wishlist.Wishlist.member was declared with a lazy reference to 'loyalty.member', but app
# 'loyalty' isn't installed").
from django.conf import settings
from django.db import models


class Wishlist(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    member = models.ForeignKey("loyalty.Member", null=True, on_delete=models.SET_NULL)
    name = models.CharField(max_length=100)


class WishlistItem(models.Model):
    wishlist = models.ForeignKey(Wishlist, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE)
